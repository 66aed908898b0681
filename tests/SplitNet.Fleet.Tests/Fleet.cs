using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace SplitNet.Fleet.Tests;

/// <summary>Where the fleet tests find what they start: the built <c>splitnet</c>, its shipped assets, the repository's deploy files.</summary>
internal static partial class Fleet
{
    public static string Root { get; } = FindRoot();

    /// <summary>The <c>splitnet.dll</c> built in this test run's configuration.</summary>
    public static string Splitnet { get; } = Path.Combine(Root, "src", "SplitNet.Cli", "bin", Configuration(), "net10.0", "splitnet.dll");

    public static string Assets => Path.Combine(Path.GetDirectoryName(Splitnet)!, "assets");

    public static string EntropicEdge => Path.Combine(Assets, "models", "entropic", "edge");
    public static string EntropicServer => Path.Combine(Assets, "models", "entropic", "server");
    public static string Sample => Path.Combine(Assets, "fashion-mnist-sample");

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Frames a replica answered OK, summed over models, from its Prometheus endpoint.</summary>
    public static async Task<long> AnsweredAsync(int metricsPort) => await AnsweredAsync("127.0.0.1", metricsPort);

    public static async Task<long> AnsweredAsync(string host, int metricsPort)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var text = await http.GetStringAsync($"http://{host}:{metricsPort}/metrics");
        return OkRequests().Matches(text).Sum(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex("""^splitnet_server_requests_total\{[^}]*status="OK"[^}]*\} (\d+)""", RegexOptions.Multiline)]
    private static partial Regex OkRequests();

    private static string Configuration() =>
        AppContext.BaseDirectory.Split(Path.DirectorySeparatorChar).SkipWhile(p => p != "bin").Skip(1).FirstOrDefault() ?? "Release";

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SplitNet.sln")))
            {
                return directory.FullName;
            }
        }
        throw new DirectoryNotFoundException($"No SplitNet.sln above {AppContext.BaseDirectory}.");
    }
}
