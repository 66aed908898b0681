using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SplitNet.Fleet.Tests;

/// <summary>The Grafana dashboard asks only for metrics SplitNet exports: the server's as a replica's /metrics shows them, the edge's as its meter names them.</summary>
public sealed partial class DashboardTests
{
    [Fact]
    public async Task Dashboard_ReferencesOnlyExportedMetrics()
    {
        var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fleet.Root, "deploy", "grafana", "splitnet-dashboard.json")));
        var expressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();
        var referenced = expressions.SelectMany(e => MetricName().Matches(e).Select(m => Suffix().Replace(m.Value, ""))).ToHashSet();
        Assert.Contains(referenced, n => n.StartsWith("splitnet_server_", StringComparison.Ordinal));
        Assert.Contains(referenced, n => n.StartsWith("splitnet_edge_", StringComparison.Ordinal));

        var exported = (await ServerFamiliesAsync()).Concat(EdgeFamilies()).ToHashSet();

        Assert.All(referenced, name => Assert.True(exported.Contains(name), $"the dashboard asks for {name}; exported: {string.Join(", ", exported.Order())}"));
    }

    /// <summary>The metric families a replica's Prometheus endpoint lists once it has answered frames.</summary>
    private static async Task<IEnumerable<string>> ServerFamiliesAsync()
    {
        int metrics = Fleet.FreePort();
        using var replica = await ServeProcess.StartAsync(Fleet.Splitnet, ServeProcess.FreePort(), ["--model", Fleet.EntropicServer], CancellationToken.None, metrics)
            .WaitAsync(TimeSpan.FromMinutes(2));
        using var model = SplitModel.Load(Fleet.EntropicEdge, BundleSide.Edge, [new OnnxRuntimeFamily(new OnnxRuntimeOptions())]);
        var head = new LatentEdgeHead(model);
        await using (var client = new EdgeClient(new EdgeClientOptions { Endpoints = [new Uri(replica.Url)] }, head.Open))
        {
            await EdgeRunner.RunAsync(head, client, new DatasetSource(FashionMnist.Load(Fleet.Sample, DatasetSplit.Test).Take(8), "sample"), new EdgeRunOptions());
        }
        using var http = new HttpClient();
        var text = await http.GetStringAsync($"http://127.0.0.1:{metrics}/metrics");
        return TypeLine().Matches(text).Select(m => Suffix().Replace(m.Groups[1].Value, ""));
    }

    /// <summary>The edge meter's instruments under OpenTelemetry's Prometheus naming: dots to underscores, the unit's suffix, _total on counters.</summary>
    private static List<string> EdgeFamilies()
    {
        var names = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == EdgeMetrics.MeterName)
                {
                    var unit = instrument.Unit switch { "s" => "_seconds", "By" => "_bytes", _ => "" };
                    var total = instrument.GetType().Name.StartsWith("Counter", StringComparison.Ordinal) ? "_total" : "";
                    names.Add(instrument.Name.Replace('.', '_') + unit + total);
                }
            },
        };
        listener.Start();
        using var metrics = new EdgeMetrics();
        Assert.NotEmpty(names);
        return names;
    }

    [GeneratedRegex(@"splitnet_[a-z0-9_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"_(bucket|sum|count)$")]
    private static partial Regex Suffix();

    [GeneratedRegex(@"^# TYPE (\S+) ", RegexOptions.Multiline)]
    private static partial Regex TypeLine();
}
