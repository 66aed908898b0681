using System.Diagnostics;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace SplitNet.LoadTest;

/// <summary>A <c>splitnet serve</c> child process on a loopback port, for scenarios that kill servers for real.</summary>
public sealed class ServeProcess : IDisposable
{
    private readonly Process _process;

    private ServeProcess(Process process, string host, int port) => (_process, Host, Port) = (process, host, port);

    public string Host { get; }
    public int Port { get; }
    public int ProcessId => _process.Id;
    public string Url => $"http://{Host}:{Port}";

    /// <summary>Starts the server and waits until its health check says SERVING.</summary>
    /// <summary>Starts <c>splitnet serve</c> on <paramref name="port"/> and waits until its health service says SERVING.</summary>
    /// <param name="host">The address it listens on (a loopback one here).</param>
    /// <param name="metricsPort">Its Prometheus port; 0 turns the endpoint off.</param>
    /// <param name="splitnet">The <c>splitnet</c> executable, or its <c>splitnet.dll</c> (run by the <c>dotnet</c> host: this process's, or the one on the path).</param>
    /// <param name="launcher">A command to run the server under (e.g. <c>ip netns exec NAME</c>), or null.</param>
    public static async Task<ServeProcess> StartAsync(string splitnet, int port, IEnumerable<string> extraArguments, CancellationToken cancellation, int metricsPort = 0,
        string host = "127.0.0.1", IReadOnlyList<string>? launcher = null)
    {
        bool assembly = splitnet.EndsWith(".dll", StringComparison.Ordinal);
        var dotnet = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var program = assembly ? dotnet : splitnet;
        var start = new ProcessStartInfo(launcher is { Count: > 0 } ? launcher[0] : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in launcher is { Count: > 0 } ? [.. launcher.Skip(1), program] : Array.Empty<string>())
        {
            start.ArgumentList.Add(argument);
        }
        if (assembly)
        {
            start.ArgumentList.Add(splitnet);
        }
        foreach (var argument in new[] { "serve", "--host", host, "--port", $"{port}", "--metrics-port", $"{metricsPort}", "--Logging:LogLevel:Default=Warning" }.Concat(extraArguments))
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start splitnet serve");
        process.OutputDataReceived += (_, _) => { };
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is { } text && errors.Count < 20)
            {
                errors.Enqueue(text);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServeProcess(process, host, port);
        using var channel = GrpcChannel.ForAddress(server.Url);
        var health = new Health.HealthClient(channel);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"splitnet serve on port {port} exited with code {process.ExitCode}: {string.Join(" ", errors)}");
            }
            try
            {
                var status = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellation);
                if (status.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return server;
                }
            }
            catch (Grpc.Core.RpcException) when (clock.Elapsed < TimeSpan.FromSeconds(120))
            {
            }
            await Task.Delay(200, cancellation);
        }
    }

    /// <summary>A loopback port free right now.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>SIGKILL: no drain, no goodbye; connections die with the process.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
