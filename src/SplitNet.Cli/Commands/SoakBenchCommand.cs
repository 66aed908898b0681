using System.CommandLine;
using System.Globalization;
using System.Text;
using Grpc.Net.Client;
using SplitNet.Contracts.V1;
using SplitNet.Evaluation;
using SplitNet.LoadTest;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet bench soak</c>.</summary>
internal sealed record SoakBenchSettings(double Minutes, double Load, int Streams, double WarmUpMinutes, Server.Serving.ModelBackend Backend, string? Out, bool Json);

/// <summary>One sample of the soaked server: its resident set and what the harness got in that interval.</summary>
internal sealed record SoakSample(double Minute, double ResidentMegabytes, long LiveTensors);

/// <summary>
/// <c>splitnet bench soak</c>: a <c>splitnet serve</c> process held at a share of its measured
/// capacity (open loop) for many minutes, its resident set sampled from /proc every 5 s; growth after
/// the warm-up is what a leak would show.
/// </summary>
internal static class SoakBenchCommand
{
    public static Command Create()
    {
        var minutes = new Option<double>("--minutes") { Description = "Length of the soak.", DefaultValueFactory = _ => 10 };
        var load = new Option<double>("--load") { Description = "Offered load as a share of the closed-loop capacity measured first.", DefaultValueFactory = _ => 0.7 };
        var streams = new Option<int>("--streams") { Description = "Concurrent streams.", DefaultValueFactory = _ => 32 };
        var warmUp = new Option<double>("--warm-up-minutes") { Description = "Minutes whose memory does not count (caches, JIT, pools filling).", DefaultValueFactory = _ => 1 };
        var backend = new Option<Server.Serving.ModelBackend>("--backend") { Description = "What runs the server part: Auto, Torch or OnnxRuntime.", DefaultValueFactory = _ => Server.Serving.ModelBackend.Auto };
        var output = new Option<string?>("--out") { Description = "Folder for soak.md, .json and .png." };
        var json = CommonOptions.Json();
        var command = new Command("soak", "Hold a splitnet serve process at a share of its capacity for minutes (open loop, Poisson arrivals); track its resident set; report growth after the warm-up and every answer's status.")
        {
            minutes, load, streams, warmUp, backend, output, json,
        };
        command.SetAction((result, cancellation) => RunAsync(new SoakBenchSettings(result.GetValue(minutes), result.GetValue(load), result.GetValue(streams),
            result.GetValue(warmUp), result.GetValue(backend), result.GetValue(output), result.GetValue(json)), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(SoakBenchSettings settings, CancellationToken cancellation)
    {
        var (server, open, frames) = ShippedLoad.Create();
        int metricsPort = ServeProcess.FreePort();
        using var replica = await ServeProcess.StartAsync(CommonOptions.Splitnet, ServeProcess.FreePort(), ["--model", server, $"--SplitNet:Server:Backend={settings.Backend}"], cancellation, metricsPort);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(4) };
        using var channel = GrpcChannel.ForAddress(replica.Url);
        var client = new SplitInference.SplitInferenceClient(channel);
        Console.Error.WriteLine("measuring capacity (closed loop, 10 s)");
        var capacity = await LoadGenerator.RunAsync(client, open, frames, new LoadProfile(settings.Streams, 8, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2)), cancellation: cancellation);
        double rate = capacity.Throughput * settings.Load;
        var samples = new List<SoakSample>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var sampling = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
            do
            {
                samples.Add(new SoakSample(clock.Elapsed.TotalMinutes, ResidentMegabytes(replica.ProcessId), await LiveTensorsAsync(http, metricsPort)));
                Console.Error.Write($"\r{clock.Elapsed.TotalMinutes:F1} of {settings.Minutes} min, server RSS {samples[^1].ResidentMegabytes:F0} MB, {samples[^1].LiveTensors} live tensors   ");
            }
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false));
        }, CancellationToken.None);
        var soak = await LoadGenerator.RunAsync(client, open, frames,
            new LoadProfile(settings.Streams, 1 << 12, TimeSpan.FromMinutes(settings.Minutes), TimeSpan.Zero, rate, 0, Arrivals.Poisson, Seed: 1), cancellation: cancellation);
        await stop.CancelAsync();
        await sampling.ContinueWith(_ => { }, TaskScheduler.Default);
        Console.Error.WriteLine();
        Report(settings, capacity, rate, soak, samples);
        return soak.Unanswered == 0 ? 0 : 1;
    }

    /// <summary>The server's <c>splitnet_server_torch_live_tensors</c> gauge.</summary>
    private static async Task<long> LiveTensorsAsync(HttpClient http, int port)
    {
        var text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("splitnet_server_torch_live_tensors", StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    private static double ResidentMegabytes(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024).Single();

    private static void Report(SoakBenchSettings settings, LoadResult capacity, double rate, LoadResult soak, List<SoakSample> samples)
    {
        var after = samples.Where(s => s.Minute >= settings.WarmUpMinutes).ToList();
        double start = after.Count > 0 ? after[0].ResidentMegabytes : double.NaN, end = after.Count > 0 ? after[^1].ResidentMegabytes : double.NaN;
        double growth = (end - start) / start;
        var data = new
        {
            minutes = settings.Minutes,
            capacity_frames_per_second = capacity.Throughput,
            offered_frames_per_second = rate,
            answered_frames_per_second = soak.Throughput,
            statuses = soak.Statuses,
            unanswered = soak.Unanswered,
            latency_ms = soak.Latency,
            rss_after_warm_up_mb = start,
            rss_at_end_mb = end,
            rss_peak_mb = samples.Max(s => s.ResidentMegabytes),
            rss_growth_after_warm_up = growth,
            backend = settings.Backend,
            live_tensors_after_warm_up = after.Count > 0 ? after[0].LiveTensors : -1,
            live_tensors_at_end = after.Count > 0 ? after[^1].LiveTensors : -1,
            target_met = growth < 0.10 && soak.Unanswered == 0 && (after.Count == 0 || after[^1].LiveTensors <= after[0].LiveTensors),
            samples,
        };
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("# Soak").AppendLine();
        md.AppendLine(c, $"`splitnet bench soak --minutes {settings.Minutes} --load {settings.Load} --streams {settings.Streams} --backend {settings.Backend}`: one `splitnet serve` process (the shipped vision model, backend {settings.Backend}) at {settings.Load:P0} of its closed-loop capacity ({capacity.Throughput:F0} frames/s) as Poisson arrivals, {rate:F0} frames/s offered, for {settings.Minutes} minutes; its resident set read from /proc every 5 s.").AppendLine();
        md.AppendLine(c, $"- Answered {soak.Throughput:F0} frames/s; statuses {string.Join(", ", soak.Statuses.Select(s => $"{s.Key} {s.Value}"))}; unanswered {soak.Unanswered}.");
        md.AppendLine(c, $"- Latency from the scheduled send: p50 {soak.Latency.P50:F2} ms, p99 {soak.Latency.P99:F2} ms, max {soak.Latency.Max:F2} ms.");
        md.AppendLine(c, $"- Resident set after the {settings.WarmUpMinutes}-minute warm-up {start:F0} MB, at the end {end:F0} MB ({growth:+0.0%;-0.0%}), peak {samples.Max(s => s.ResidentMegabytes):F0} MB. Target: growth < 10 %: **{(growth < 0.10 ? "met" : "not met")}**.");
        md.AppendLine(c, $"- TorchSharp tensors alive on the inference workers (`splitnet_server_torch_live_tensors`; 0 when the model runs on ONNX Runtime): {data.live_tensors_after_warm_up} after the warm-up, {data.live_tensors_at_end} at the end. Target: no growth: **{(data.live_tensors_at_end <= data.live_tensors_after_warm_up ? "met" : "not met")}**.");
        var plot = new ScottPlot.Plot();
        var line = plot.Add.Scatter(samples.Select(s => s.Minute).ToArray(), samples.Select(s => s.ResidentMegabytes).ToArray());
        line.LegendText = "server resident set";
        plot.Add.VerticalLine(settings.WarmUpMinutes, pattern: ScottPlot.LinePattern.Dashed).LegendText = "end of warm-up";
        plot.XLabel("minutes");
        plot.YLabel("MB");
        plot.Title($"Soak at {settings.Load:P0} of capacity");
        foreach (var path in ReportWriter.Write(settings.Backend == Server.Serving.ModelBackend.Torch ? "soak-torch" : "soak", settings.Out, md.ToString(), data, plot))
        {
            Console.Error.WriteLine($"wrote {path}");
        }
        Console.WriteLine(settings.Json ? ReportWriter.Json(data).ReplaceLineEndings(" ") : md.ToString());
    }
}
