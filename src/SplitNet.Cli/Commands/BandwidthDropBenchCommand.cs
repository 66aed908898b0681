using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using ScottPlot;
using SplitNet.Edge;
using SplitNet.Edge.RateControl;
using SplitNet.Edge.Resilience;
using SplitNet.Edge.Sources;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Models.Data;

using SplitNet.LoadTest;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet bench bandwidth-drop</c>.</summary>
internal sealed record BandwidthDropSettings(BandwidthDropBenchCommand.Scenario Scenario, string Model, string Name, string? HostNamespace, string? Out, bool Json);

/// <summary>
/// Where the shaped link is: the edge side of a veth pair to a server in a namespace of its own
/// (the uplink alone, answers unshaped), or, without a server namespace, this namespace's loopback
/// (server and edge share it, so answers and acknowledgements cross the shaped link too).
/// </summary>
internal sealed record ShapedLink(string? ServerNamespace, string ServerAddress, string Device)
{
    public bool IsUplink => ServerNamespace is not null;
    public string ShapedDevice => IsUplink ? Device : "lo";
}

/// <summary>
/// <c>splitnet bench bandwidth-drop</c>: inside a network namespace of its own (made by
/// <c>deploy/netns/bandwidth-drop.sh</c>), shapes the uplink with tbf, starts a server, runs an
/// edge camera and drops the uplink half-way; once with the rate controller and once at fixed levels.
/// An embedded model also runs with its frames sent in segments, which the server answers at
/// their wait from what arrived, with and without the rate controller.
/// </summary>
internal static class BandwidthDropBenchCommand
{
    public static Command Create()
    {
        var high = new Option<string>("--high") { Description = "Link rate before the drop (tc syntax).", DefaultValueFactory = _ => "5mbit" };
        var low = new Option<string>("--low") { Description = "Link rate after the drop.", DefaultValueFactory = _ => "0.5mbit" };
        var burst = new Option<string>("--burst") { Description = "tbf's bucket (tc syntax): how long a link may run above its rate after a drop; above the MTU, or TCP stalls.", DefaultValueFactory = _ => "32kb" };
        var fps = new Option<double>("--fps") { Description = "Frames per second of the edge camera.", DefaultValueFactory = _ => 30 };
        var seconds = CommonOptions.Seconds(20);
        var deadline = CommonOptions.DeadlineMs(100);
        var model = CommonOptions.SplitModel();
        var segmentWait = new Option<int?>("--segment-wait-ms")
        {
            Description = "Frames sent in segments (embedded models): the server's wait for refinements after the base (default: half the deadline; on a thin uplink a refinement takes tens of milliseconds to cross).",
        };
        var refinementMessages = CommonOptions.RefinementMessages();
        var name = new Option<string>("--name") { Description = "Report file name (without extension).", DefaultValueFactory = _ => "bandwidth-drop" };
        var output = CommonOptions.ReportOut();
        var serverNamespace = new Option<string?>("--server-netns") { Description = "Network namespace the server runs in, across a veth link whose edge side (--dev) is shaped; without it, server and edge share this namespace's shaped loopback." };
        var serverAddress = new Option<string>("--server-address") { Description = "The server's address on the veth link.", DefaultValueFactory = _ => "10.201.0.2" };
        var device = new Option<string>("--dev") { Description = "The edge side of the veth link, shaped on egress (the uplink).", DefaultValueFactory = _ => "sn-edge" };
        var hostNamespace = new Option<string?>("--host-netns") { Description = "The namespace this must not run in (readlink /proc/self/ns/net outside); the script passes it." };
        var json = CommonOptions.Json();
        var command = new Command("bandwidth-drop", "Inside a network namespace: shape loopback, drop the uplink mid-run, compare adaptive and fixed rate levels (run via deploy/netns/bandwidth-drop.sh).")
        {
            high, low, burst, fps, seconds, deadline, model, segmentWait, refinementMessages, serverNamespace, serverAddress, device, name, output, hostNamespace, json,
        };
        command.SetAction((result, cancellation) => ReportAsync(new BandwidthDropSettings(
            new Scenario(result.GetValue(high)!, result.GetValue(low)!, result.GetValue(burst)!, result.GetValue(fps), result.GetValue(seconds), result.GetValue(deadline), result.GetValue(segmentWait) ?? result.GetValue(deadline) / 2, result.GetValue(refinementMessages),
                new ShapedLink(result.GetValue(serverNamespace), result.GetValue(serverAddress)!, result.GetValue(device)!)),
            Path.GetFullPath(result.GetValue(model)!), result.GetValue(name)!, result.GetValue(hostNamespace), result.GetValue(output), result.GetValue(json)), cancellation));
        return command;
    }

    private static async Task<int> ReportAsync(BandwidthDropSettings settings, CancellationToken cancellation)
    {
        if (!NetworkNamespace.IsOwn(settings.HostNamespace))
        {
            Console.Error.WriteLine("refusing to shape the loopback of the host's network namespace; run deploy/netns/bandwidth-drop.sh, which makes a namespace of its own");
            return 2;
        }
        var scenario = settings.Scenario;
        var runs = await RunAsync(scenario, settings.Model, cancellation);
        ReportOutput.Emit(settings.Name, settings.Out, settings.Json, Markdown(scenario, SplitModelBundle.ReadManifest(SplitModelBundle.SideDirectory(settings.Model, BundleSide.Edge), out _).ModelId, runs, ReportOutput.CommandLine, settings.Name),
            new { settings = scenario, runs }, Chart(scenario, runs));
        return 0;
    }

    /// <summary>What the run does, as its report records it.</summary>
    internal sealed record Scenario(string High, string Low, string Burst, double Fps, double Seconds, int DeadlineMs, int SegmentWaitMs, int RefinementMessages, ShapedLink Link);

    internal sealed record Run(string Mode, int Frames, double DeadlineMet, double DeadlineMetBeforeDrop, double DeadlineMetAfterDrop,
        double MeanLevelBefore, double MeanLevelAfter, double BytesPerFrame, double Accuracy, long DroppedAtCapture, IReadOnlyList<TimelineSecond> Timeline);

    private static async Task<IReadOnlyList<Run>> RunAsync(Scenario s, string modelDirectory, CancellationToken cancellation)
    {
        string shaped = s.Link.ShapedDevice;
        if (!s.Link.IsUplink)
        {
            Process.Start("ip", ["link", "set", "lo", "up", "mtu", "1500"])!.WaitForExit();
        }
        NetworkNamespace.Shape(shaped, s.High, s.Burst);
        var edgeDirectory = SplitModelBundle.SideDirectory(modelDirectory, BundleSide.Edge);
        using var model = SplitModel.Load(edgeDirectory, BundleSide.Edge, TorchFamilies.All);
        int levels = model.Levels.Count;
        var source = new DatasetSource(FashionMnist.Load(CommonOptions.SampleDirectory, DatasetSplit.Test), "sample");
        string[] serverModel = ["--model", SplitModelBundle.SideDirectory(modelDirectory, BundleSide.Server)];
        using var server = s.Link.ServerNamespace is { } serverNamespace
            ? await ServeProcess.StartAsync(CommonOptions.Splitnet, 50051, serverModel, cancellation, host: s.Link.ServerAddress, launcher: ["ip", "netns", "exec", serverNamespace])
            : await ServeProcess.StartAsync(CommonOptions.Splitnet, ServeProcess.FreePort(), serverModel, cancellation);
        // An unmeasured pass first: a fresh server's first seconds (JIT, first batches) are not the link.
        Console.Error.WriteLine("warm-up pass (not measured) …");
        await using (var warm = new EdgeClient(new EdgeClientOptions { Endpoints = [new Uri(server.Url)], Window = 64 }, new LatentEdgeHead(model).Open))
        {
            await EdgeRunner.RunAsync(new LatentEdgeHead(model, (uint)(levels - 1)), warm, source,
                new EdgeRunOptions { FrameRate = s.Fps, Duration = TimeSpan.FromSeconds(3) }, cancellation: cancellation);
        }
        var runs = new List<Run>();
        var modes = new List<(string Mode, uint Level, bool Adaptive, bool Segments)>
        {
            ("adaptive", (uint)(levels - 1), true, false),
            ($"fixed level {levels - 1}", (uint)(levels - 1), false, false),
            ("fixed level 0", 0, false, false),
        };
        if (model.IsEmbedded)
        {
            modes.Insert(1, ("adaptive, in segments", (uint)(levels - 1), true, true));
            modes.Insert(3, ($"fixed level {levels - 1}, in segments", (uint)(levels - 1), false, true));
        }
        foreach (var (mode, level, adaptive, segments) in modes)
        {
            NetworkNamespace.Shape(shaped, s.High, s.Burst);
            Console.Error.WriteLine($"{mode}: {s.Seconds} s at {s.Fps} frames/s, {s.High} then {s.Low} from {s.Seconds / 2} s …");
            var head = new LatentEdgeHead(model, level);
            var control = adaptive
                ? new RateController(head.LevelBytes, (int)level, new RateControlOptions { FrameRate = s.Fps, Deadline = TimeSpan.FromMilliseconds(s.DeadlineMs) })
                : null;
            await using var client = new EdgeClient(new EdgeClientOptions
            {
                Endpoints = [new Uri(server.Url)],
                Window = 64,
                FrameDeadline = TimeSpan.FromSeconds(5),
                SendSegments = segments,
                SegmentWait = TimeSpan.FromMilliseconds(s.SegmentWaitMs),
                RefinementMessages = s.RefinementMessages,
            }, head.Open);
            var drop = Task.Run(async () =>
            {
                await Task.Delay(TimeSpan.FromSeconds(s.Seconds / 2), cancellation);
                NetworkNamespace.Shape(shaped, s.Low, s.Burst);
            }, cancellation);
            var report = await EdgeRunner.RunAsync(head, client, source, new EdgeRunOptions
            {
                FrameRate = s.Fps,
                Duration = TimeSpan.FromSeconds(s.Seconds),
                RateControl = control,
                Deadline = TimeSpan.FromMilliseconds(s.DeadlineMs),
            }, cancellation: cancellation);
            await drop;
            int half = (int)(s.Seconds / 2);
            var before = report.Timeline.Where(t => t.Second < half).ToList();
            var after = report.Timeline.Where(t => t.Second >= half).ToList();
            static double Met(List<TimelineSecond> seconds) => seconds.Sum(t => t.DeadlineMet * t.Frames) / Math.Max(1, seconds.Sum(t => t.Frames));
            static double Level(List<TimelineSecond> seconds) => seconds.Sum(t => t.MeanLevel * t.Frames) / Math.Max(1, seconds.Sum(t => t.Frames));
            var run = new Run(mode, report.Frames, report.DeadlineMet, Met(before), Met(after), Level(before), Level(after),
                report.BytesPerFrame, report.Accuracy, report.DroppedAtCapture, report.Timeline);
            Console.Error.WriteLine($"{mode}: {run.DeadlineMet:P1} within {s.DeadlineMs} ms ({run.DeadlineMetAfterDrop:P1} after the drop)");
            runs.Add(run);
        }
        return runs;
    }

    private static string Markdown(Scenario s, string modelId, IReadOnlyList<Run> runs, string command, string name)
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        Line($"# Uplink drop from {s.High} to {s.Low}");
        Line($"");
        if (s.Link.IsUplink)
        {
            Line($"Produced by `deploy/netns/bandwidth-drop.sh` (`{command}`): a `splitnet serve` process and an edge camera in network namespaces of");
            Line($"their own, joined by a veth pair whose edge side is shaped on egress (the uplink; answers come back unshaped) by");
            Line($"`tc … tbf rate {s.High} burst {s.Burst} latency 100ms`; the camera at {s.Fps} frames/s");
        }
        else
        {
            Line($"Produced by `deploy/netns/bandwidth-drop.sh` (`{command}`): in a network namespace of its own, loopback shaped by");
            Line($"`tc … tbf rate {s.High} burst {s.Burst} latency 100ms` (answers and acknowledgements cross it too), a `splitnet serve` process and an edge camera at {s.Fps} frames/s");
        }
        Line($"(split model `{modelId}`, frames from the shipped sample) for {s.Seconds} s; half-way the link drops to {s.Low}.");
        Line($"Deadline {s.DeadlineMs} ms per frame, capture to answer. Target: ≥ 95 % of frames within it, by lowering the rate level.");
        Line($"Modes *in segments* send each frame of the embedded model as its base, then its refinements in at most {s.RefinementMessages} message(s); the server answers");
        Line($"{s.SegmentWaitMs} ms after the base at the latest, from the segments that arrived (the level column is then the level answered).");
        Line($"The server gets an unmeasured 3 s warm-up pass first; tbf's {s.Burst} bucket, full at the drop, lets the link run above its rate until it drains.");
        Line($"");
        Line($"| mode | frames | within {s.DeadlineMs} ms | before the drop | after the drop | mean level before → after | payload B/frame | accuracy |");
        Line($"|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in runs)
        {
            Line($"| {r.Mode} | {r.Frames} | {r.DeadlineMet:P1} | {r.DeadlineMetBeforeDrop:P1} | {r.DeadlineMetAfterDrop:P1} | {r.MeanLevelBefore:F2} → {r.MeanLevelAfter:F2} | {r.BytesPerFrame:F1} | {r.Accuracy:P1} |");
        }
        Line($"");
        Line($"Per-second timeline in `{name}.json`; plot in `{name}.png`.");
        return text.ToString();
    }

    private static Plot Chart(Scenario s, IReadOnlyList<Run> runs)
    {
        var plot = new ScottPlot.Plot();
        foreach (var run in runs)
        {
            var met = plot.Add.Scatter(run.Timeline.Select(t => (double)t.Second).ToArray(), run.Timeline.Select(t => 100 * t.DeadlineMet).ToArray());
            met.LegendText = $"{run.Mode}: % within {s.DeadlineMs} ms";
        }
        var adaptive = runs[0];
        var level = plot.Add.Scatter(adaptive.Timeline.Select(t => (double)t.Second).ToArray(), adaptive.Timeline.Select(t => t.MeanLevel).ToArray());
        level.LegendText = "adaptive: mean rate level (right axis)";
        level.LinePattern = LinePattern.Dashed;
        level.Axes.YAxis = plot.Axes.Right;
        plot.Add.VerticalLine(s.Seconds / 2).LegendText = $"drop to {s.Low}";
        plot.Axes.Bottom.Label.Text = "second of the run";
        plot.Axes.Left.Label.Text = "% of frames within the deadline";
        plot.Axes.Right.Label.Text = "rate level";
        plot.Axes.SetLimitsY(0, 105, plot.Axes.Left);
        plot.Axes.SetLimitsY(-0.2, runs.Max(r => r.Timeline.Max(t => t.MeanLevel)) + 0.2, plot.Axes.Right);
        plot.Title($"Uplink {s.High} → {s.Low}, {s.Fps} frames/s");
        plot.ShowLegend(Alignment.LowerLeft);
        return plot;
    }
}
