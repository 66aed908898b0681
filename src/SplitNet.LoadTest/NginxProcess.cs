using System.Diagnostics;
using System.Net.Sockets;

namespace SplitNet.LoadTest;

/// <summary>nginx with SplitNet's gRPC balancer configuration (<c>deploy/nginx/splitnet-grpc.conf</c>), unprivileged, in a folder of its own, on a free loopback port.</summary>
public sealed class NginxProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private NginxProcess(Process process, string directory, int port) => (_process, _directory, Port) = (process, directory, port);

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";

    /// <param name="configuration">The balancer's configuration file.</param>
    /// <param name="replicas">Loopback ports of the replicas behind it.</param>
    public static async Task<NginxProcess> StartAsync(string configuration, IEnumerable<int> replicas, string nginx = "/usr/sbin/nginx")
    {
        if (!File.Exists(nginx))
        {
            throw new FileNotFoundException($"{nginx} is missing: apt-get install nginx", nginx);
        }
        var directory = Directory.CreateTempSubdirectory("splitnet-nginx-").FullName;
        Directory.CreateDirectory(Path.Combine(directory, "tmp"));
        File.Copy(configuration, Path.Combine(directory, "splitnet-grpc.conf"));
        int port = ServeProcess.FreePort();
        File.WriteAllText(Path.Combine(directory, "listen.conf"), $"listen 127.0.0.1:{port} http2;\n");
        File.WriteAllLines(Path.Combine(directory, "upstreams.conf"), replicas.Select(p => $"server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;"));
        var start = new ProcessStartInfo(nginx) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-p", directory + "/", "-c", "splitnet-grpc.conf", "-g", "daemon off;" })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited with code {process.ExitCode}");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return new NginxProcess(process, directory, port);
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(50);
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            // The workers hold the output pipes too: the whole tree goes, or the wait never ends.
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
