using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using ScottPlot;
using SplitNet.Codec;
using SplitNet.Edge;
using SplitNet.Edge.Resilience;
using SplitNet.Edge.Sources;
using SplitNet.LoadTest;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Split;
using SplitNet.Models.Teacher;
using static TorchSharp.torch;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet bench uplink</c>.</summary>
internal sealed record UplinkSettings(string ServerNamespace, string ServerAddress, string Device, string? HostNamespace, string[] Rates,
    double Seconds, int Window, double CameraFps, string Data, int Limit, string Name, string? Out, bool Json);

/// <summary>
/// <c>splitnet bench uplink</c>: the comparative run. From the edge's network namespace, over a veth
/// uplink shaped with tbf (made by <c>deploy/netns/uplink.sh</c>), every way to get the vision model's
/// answer: the split at each rate level, the naive split, the image itself (PNG, WebP lossless) to
/// the whole model on the server, and the whole model on the device; frames/s, latency, bytes, accuracy.
/// </summary>
internal static class UplinkBenchCommand
{
    public static Command Create()
    {
        var serverNamespace = new Option<string>("--server-netns") { Description = "Network namespace the server runs in (the script makes it).", Required = true };
        var serverAddress = new Option<string>("--server-address") { Description = "The server's address on the veth link.", DefaultValueFactory = _ => "10.201.0.2" };
        var device = new Option<string>("--dev") { Description = "The edge side of the veth link, shaped on egress (the uplink).", DefaultValueFactory = _ => "sn-edge" };
        var hostNamespace = new Option<string?>("--host-netns") { Description = "The namespace this must not run in (readlink /proc/self/ns/net outside); the script passes it." };
        var rates = new Option<string[]>("--rate")
        {
            Description = "Uplink rates in tc syntax, 'none' for unshaped (repeatable).",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => ["1mbit", "5.85mbit", "18.88mbit", "none"],
        };
        var seconds = CommonOptions.Seconds(8);
        var window = new Option<int>("--window") { Description = "Unanswered frames the edge keeps in flight.", DefaultValueFactory = _ => 8 };
        var cameraFps = new Option<double>("--camera-fps") { Description = "Frames per second of the camera in the latency run.", DefaultValueFactory = _ => 30 };
        var data = CommonOptions.Data(FashionMnist.DebianDirectory);
        var limit = new Option<int>("--limit") { Description = "Test images the camera cycles through.", DefaultValueFactory = _ => 2000 };
        var name = new Option<string>("--name") { Description = "Report file name (without extension).", DefaultValueFactory = _ => "uplink" };
        var output = CommonOptions.ReportOut();
        var json = CommonOptions.Json();
        var command = new Command("uplink", "The comparative run over shaped uplinks: split levels, naive split, server-only PNG/WebP and edge-only (run via deploy/netns/uplink.sh).")
        {
            serverNamespace, serverAddress, device, hostNamespace, rates, seconds, window, cameraFps, data, limit, name, output, json,
        };
        command.SetAction((result, cancellation) => RunAsync(new UplinkSettings(result.GetValue(serverNamespace)!, result.GetValue(serverAddress)!, result.GetValue(device)!,
            result.GetValue(hostNamespace), result.GetValue(rates)!, result.GetValue(seconds), result.GetValue(window), result.GetValue(cameraFps), result.GetValue(data)!,
            result.GetValue(limit), result.GetValue(name)!, result.GetValue(output), result.GetValue(json)), cancellation));
        return command;
    }

    /// <summary>One path at one uplink rate.</summary>
    internal sealed record Row(string Rate, string Path, double FramesPerSecond, double P50, double P99, double P999, double PayloadBytes, double MessageBytes,
        double Accuracy, int Frames, int Lost, long Duplicates);

    private static async Task<int> RunAsync(UplinkSettings s, CancellationToken cancellation)
    {
        if (!NetworkNamespace.IsOwn(s.HostNamespace))
        {
            Console.Error.WriteLine("refusing to shape a link of the host's network namespace; run deploy/netns/uplink.sh, which makes namespaces of its own");
            return 2;
        }
        CommonOptions.UseThreads(1);
        var images = FashionMnist.Load(s.Data, DatasetSplit.Test);
        images = images.Take(Math.Min(s.Limit, images.Count));
        var source = new DatasetSource(images, Path.GetFileName(s.Data));
        using var split = SplitModel.Load(SplitModelBundle.SideDirectory(CommonOptions.DefaultEntropic, BundleSide.Edge), BundleSide.Edge, TorchFamilies.All);
        var (teacher, manifest) = TeacherBundle.Load(CommonOptions.DefaultTeacher);
        using var _ = teacher;
        var paths = new List<(string Name, Func<IFrameEncoder> Encoder)>();
        for (uint level = 0; level < split.Levels.Count; level++)
        {
            uint l = level;
            paths.Add(($"split, level {l}", () => new LatentEdgeHead(split, l)));
        }
        var stage2 = FeatureSplit.Point(manifest.Architecture, "stage2");
        paths.Add(("naive split (stage2, 8-bit + LZ4)", () => new EdgeHead(FeatureSplit.Head(teacher, manifest, stage2), CodecId.Affine8Lz4)));
        var input = new TensorShape(FeatureSplit.Input.Feature.Dimensions);
        var (scale, offset) = FeatureSplit.InputAffine;
        paths.Add(("server-only, PNG", () => new ImageEdgeHead(manifest.ModelId, input, CodecId.Png, scale, offset)));
        paths.Add(("server-only, WebP lossless", () => new ImageEdgeHead(manifest.ModelId, input, CodecId.WebpLossless, scale, offset)));

        int port = 50051;
        using var server = await ServeProcess.StartAsync(CommonOptions.Splitnet, port, [], cancellation, host: s.ServerAddress,
            launcher: ["ip", "netns", "exec", s.ServerNamespace]);
        var rows = new List<Row>();
        var edgeOnly = EdgeOnly(teacher, source, s.Seconds);
        foreach (var rate in s.Rates)
        {
            NetworkNamespace.Shape(s.Device, rate);
            foreach (var (path, encoder) in paths)
            {
                Console.Error.Write($"{rate,-10} {path,-36} ");
                var head = encoder();
                await using var client = new EdgeClient(new EdgeClientOptions { Endpoints = [new Uri(server.Url)], Window = s.Window, FrameDeadline = TimeSpan.FromSeconds(30) }, head.Open);
                // The first second of a fresh stream (connection, first batches) is not the link: a short unmeasured run first.
                await EdgeRunner.RunAsync(head, client, source, new EdgeRunOptions { Duration = TimeSpan.FromSeconds(1) }, cancellation: cancellation);
                // Capacity: frames back to back, as fast as the encoder, the window and the link take them.
                var capacity = await EdgeRunner.RunAsync(head, client, source, new EdgeRunOptions { Duration = TimeSpan.FromSeconds(s.Seconds) }, cancellation: cancellation);
                // Latency: a camera at its own rate, which a path either keeps up with or not.
                var camera = await EdgeRunner.RunAsync(head, client, source, new EdgeRunOptions { FrameRate = s.CameraFps, Duration = TimeSpan.FromSeconds(s.Seconds) }, cancellation: cancellation);
                var row = new Row(rate, path, capacity.FramesPerSecond, camera.LatencyMs.P50, camera.LatencyMs.P99, camera.LatencyMs.P999, capacity.BytesPerFrame,
                    capacity.MessageBytesPerFrame, (capacity.Accuracy * capacity.Frames + camera.Accuracy * camera.Frames) / (capacity.Frames + camera.Frames),
                    capacity.Frames + camera.Frames, capacity.Failed + camera.Failed, capacity.Duplicates + camera.Duplicates);
                Console.Error.WriteLine(FormattableString.Invariant($"{row.FramesPerSecond,8:F1} frames/s  p50 {row.P50,7:F1} ms  {row.PayloadBytes,7:F1} B  {row.Accuracy:P1}"));
                rows.Add(row);
            }
            rows.Add(edgeOnly with { Rate = rate });
        }
        NetworkNamespace.Shape(s.Device, "none");
        ReportOutput.Emit(s.Name, s.Out, s.Json, Markdown(s, rows, ReportOutput.CommandLine), new { settings = s, rows }, Chart(s, rows));
        return 0;
    }

    /// <summary>The whole teacher on the device, one thread, frame after frame: no bytes on any link.</summary>
    private static Row EdgeOnly(TeacherNet teacher, DatasetSource source, double seconds)
    {
        var latency = new HdrHistogram.LongHistogram(60_000_000, 3);
        int frames = 0, correct = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            int i = frames % source.Count;
            long start = Stopwatch.GetTimestamp();
            int predicted;
            using (inference_mode())
            using (NewDisposeScope())
            {
                var x = ImageTensors.Single(source.Input(i).Pixels, FashionMnist.Height, FashionMnist.Width);
                predicted = (int)teacher.Run(x, TeacherStage.Stem, TeacherStage.Head).argmax(1).item<long>();
            }
            latency.RecordValue((long)Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            correct += predicted == source.Label(i) ? 1 : 0;
            frames++;
        }
        var summary = LatencySummary.FromMicros(latency);
        return new Row("", "edge-only (whole teacher on the device)", frames / clock.Elapsed.TotalSeconds, summary.P50, summary.P99, summary.P999, 0, 0,
            (double)correct / frames, frames, 0, 0);
    }

    private static string Markdown(UplinkSettings s, IReadOnlyList<Row> rows, string command)
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        Line($"# The comparative run: the vision model over shaped uplinks");
        Line($"");
        Line($"Produced by `deploy/netns/uplink.sh` (`{command}`): the edge and `splitnet serve` in two network namespaces of their own,");
        Line($"joined by a veth pair whose edge side is shaped on egress (`tc … tbf rate R burst 32kb latency 100ms`; answers come back unshaped).");
        Line($"Each path, over {s.Limit} test images with {s.Window} frames in flight, after 1 s unmeasured: a capacity run of {s.Seconds} s, frames back to back");
        Line($"(frames/s is what encoder, window and link carry), then a latency run of {s.Seconds} s from a camera at {s.CameraFps} frames/s");
        Line($"(latency from the scheduled capture time to the answer, so a path that cannot keep up shows it). Accuracy over both runs' frames. Edge and server share this machine's");
        Line($"2 cores, one TorchSharp thread each; edge-only runs the whole teacher on the device (one thread), its row repeated per rate since it uses no link.");
        Line($"");
        Line($"| uplink | path | frames/s | p50 ms | p99 ms | p99.9 ms | payload B/frame | message B/frame | accuracy | frames | lost | duplicates |");
        Line($"|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            Line($"| {r.Rate} | {r.Path} | {r.FramesPerSecond:F1} | {r.P50:F1} | {r.P99:F1} | {r.P999:F1} | {r.PayloadBytes:F1} | {r.MessageBytes:F1} | {r.Accuracy:P2} | {r.Frames} | {r.Lost} | {r.Duplicates} |");
        }
        Line($"");
        var slow = s.Rates[0];
        var webp = rows.FirstOrDefault(r => r.Rate == slow && r.Path.Contains("WebP"));
        var level = rows.Where(r => r.Rate == slow && r.Path.StartsWith("split, level", StringComparison.Ordinal)).ToList();
        if (webp is { FramesPerSecond: > 0 } && level.Count > 0)
        {
            Line($"## Target: through {slow}, the split at its default level ≥ 10× the frames/s of server-only WebP lossless");
            Line($"");
            foreach (var r in level)
            {
                Line($"- {r.Path}: {r.FramesPerSecond / webp.FramesPerSecond:F2}× the frames/s ({r.FramesPerSecond:F1} vs {webp.FramesPerSecond:F1}), accuracy {r.Accuracy:P2} vs {webp.Accuracy:P2}.");
            }
            Line($"");
        }
        Line($"Every row: lost = frames without an answer, duplicates = answers dropped as repeats. Plot in `{s.Name}.png`.");
        return text.ToString();
    }

    private static Plot Chart(UplinkSettings s, IReadOnlyList<Row> rows)
    {
        var plot = new ScottPlot.Plot();
        var positions = s.Rates.Select((_, i) => (double)i).ToArray();
        foreach (var path in rows.Select(r => r.Path).Distinct())
        {
            var ys = s.Rates.Select(rate => rows.FirstOrDefault(r => r.Rate == rate && r.Path == path)?.FramesPerSecond ?? 0).Select(v => Math.Log10(Math.Max(v, 0.1))).ToArray();
            plot.Add.Scatter(positions, ys).LegendText = path;
        }
        plot.Axes.Bottom.SetTicks(positions, s.Rates);
        plot.Axes.Bottom.Label.Text = "uplink";
        plot.Axes.Left.Label.Text = "frames/s (log10)";
        plot.Title("Vision model: frames/s by path and uplink");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }
}
