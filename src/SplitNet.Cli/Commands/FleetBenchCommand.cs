using System.CommandLine;
using System.Globalization;
using System.Text;
using Grpc.Net.Client;
using SplitNet.Contracts.V1;
using SplitNet.Evaluation;
using SplitNet.LoadTest;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet bench fleet</c>.</summary>
internal sealed record FleetBenchSettings(int Replicas, int Streams, int Window, double Seconds, string Nginx, string? Out, bool Json);

/// <summary>One arrangement of <c>bench fleet</c> and what the harness measured through it.</summary>
internal sealed record FleetRow(string Arrangement, int Replicas, bool ThroughNginx, LoadResult Load);

/// <summary>
/// <c>splitnet bench fleet</c>: closed-loop throughput and latency of one replica reached directly,
/// one through nginx, and several through nginx, each a <c>splitnet serve</c> process on loopback.
/// </summary>
internal static class FleetBenchCommand
{
    public static Command Create()
    {
        var replicas = new Option<int>("--replicas") { Description = "Replicas behind nginx in the last arrangement.", DefaultValueFactory = _ => 3 };
        var streams = new Option<int>("--streams") { Description = "Concurrent streams (edges).", DefaultValueFactory = _ => 32 };
        var window = new Option<int>("--window") { Description = "Unanswered frames per stream.", DefaultValueFactory = _ => 8 };
        var seconds = CommonOptions.Seconds(10);
        var nginx = new Option<string>("--nginx-config") { Description = "The balancer's configuration.", DefaultValueFactory = _ => Path.Combine(AppContext.BaseDirectory, "deploy", "nginx", "splitnet-grpc.conf") };
        var output = new Option<string?>("--out") { Description = "Folder for fleet.md, .json and .png." };
        var json = CommonOptions.Json();
        var command = new Command("fleet", "Throughput and latency through nginx with N replicas against one replica directly (and one through nginx), every server a splitnet serve process on loopback.")
        {
            replicas, streams, window, seconds, nginx, output, json,
        };
        command.SetAction((result, cancellation) => RunAsync(new FleetBenchSettings(result.GetValue(replicas), result.GetValue(streams), result.GetValue(window),
            result.GetValue(seconds), result.GetValue(nginx)!, result.GetValue(output), result.GetValue(json)), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(FleetBenchSettings settings, CancellationToken cancellation)
    {
        var (server, open, frames) = ShippedLoad.Create();
        var profile = new LoadProfile(settings.Streams, settings.Window, TimeSpan.FromSeconds(settings.Seconds), TimeSpan.FromSeconds(2));
        var replicas = new List<ServeProcess>();
        var rows = new List<FleetRow>();
        try
        {
            for (int i = 0; i < settings.Replicas; i++)
            {
                Console.Error.WriteLine($"starting replica {i + 1} of {settings.Replicas}");
                replicas.Add(await ServeProcess.StartAsync(CommonOptions.Splitnet, ServeProcess.FreePort(), ["--model", server], cancellation));
            }
            async Task Measure(string arrangement, IReadOnlyList<ServeProcess> behind, bool nginx)
            {
                Console.Error.WriteLine($"measuring {arrangement}");
                using var balancer = nginx ? await NginxProcess.StartAsync(settings.Nginx, behind.Select(r => r.Port)) : null;
                using var channel = GrpcChannel.ForAddress(balancer?.Url ?? behind[0].Url);
                var load = await LoadGenerator.RunAsync(new SplitInference.SplitInferenceClient(channel), open, frames, profile, cancellation: cancellation);
                rows.Add(new FleetRow(arrangement, behind.Count, nginx, load));
            }
            await Measure("1 replica, direct", replicas[..1], nginx: false);
            await Measure("1 replica through nginx", replicas[..1], nginx: true);
            await Measure($"{settings.Replicas} replicas through nginx", replicas, nginx: true);
        }
        finally
        {
            replicas.ForEach(r => r.Dispose());
        }
        Report(settings, rows);
        return rows.All(r => r.Load.Unanswered == 0) ? 0 : 1;
    }

    private static void Report(FleetBenchSettings settings, List<FleetRow> rows)
    {
        var direct = rows[0].Load;
        var fleet = rows[^1].Load;
        var data = new
        {
            streams = settings.Streams,
            window = settings.Window,
            seconds = settings.Seconds,
            rows = rows.Select(r => new { arrangement = r.Arrangement, replicas = r.Replicas, through_nginx = r.ThroughNginx, frames_per_second = r.Load.Throughput, latency_ms = r.Load.Latency, statuses = r.Load.Statuses, unanswered = r.Load.Unanswered }),
            throughput_ratio = fleet.Throughput / direct.Throughput,
            added_p50_ms = fleet.Latency.P50 - direct.Latency.P50,
            nginx_added_p50_ms = rows[1].Load.Latency.P50 - direct.Latency.P50,
        };
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("# A fleet behind nginx").AppendLine();
        md.AppendLine(c, $"`splitnet bench fleet --replicas {settings.Replicas} --streams {settings.Streams} --window {settings.Window} --seconds {settings.Seconds}`: the load-test harness (closed loop, pre-coded frames of the shipped vision model at its default level, 2 s warm-up) against `splitnet serve` processes on loopback, directly and through Debian's nginx with `deploy/nginx/splitnet-grpc.conf`. Every process shares this machine's 2 cores with the harness and nginx, so more replicas add no machine; but each replica runs one inference worker (the default `Workers`), so one replica leaves part of the second core idle, and that core is what more replicas gain here.").AppendLine();
        md.AppendLine("| arrangement | frames/s | p50 ms | p99 ms | statuses |").AppendLine("|---|---:|---:|---:|---|");
        foreach (var r in rows)
        {
            md.AppendLine(c, $"| {r.Arrangement} | {r.Load.Throughput:F0} | {r.Load.Latency.P50:F2} | {r.Load.Latency.P99:F2} | {string.Join(", ", r.Load.Statuses.Select(s => $"{s.Key} {s.Value}"))} |");
        }
        md.AppendLine().AppendLine(c, $"Through nginx with {settings.Replicas} replicas against 1 replica directly: throughput ×{data.throughput_ratio:F2}, p50 {data.added_p50_ms:+0.00;-0.00} ms (nginx alone in front of 1 replica: p50 {data.nginx_added_p50_ms:+0.00;-0.00} ms).");
        var plot = new ScottPlot.Plot();
        var bars = plot.Add.Bars(rows.Select(r => r.Load.Throughput).ToArray());
        bars.LegendText = "frames/s";
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, rows.Count).Select(i => (double)i)], [.. rows.Select(r => r.Arrangement)]);
        plot.YLabel("frames per second (closed loop)");
        plot.Title("Direct, through nginx, and a fleet through nginx (2 shared cores)");
        foreach (var path in ReportWriter.Write("fleet", settings.Out, md.ToString(), data, plot))
        {
            Console.Error.WriteLine($"wrote {path}");
        }
        if (settings.Json)
        {
            Console.WriteLine(ReportWriter.Json(data).ReplaceLineEndings(" "));
        }
        else
        {
            Console.WriteLine(md.ToString());
        }
    }
}
