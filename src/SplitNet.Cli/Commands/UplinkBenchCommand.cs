using System.CommandLine;
using System.Globalization;
using System.Text;
using ScottPlot;
using SplitNet.Edge;
using SplitNet.Edge.Resilience;
using SplitNet.LoadTest;
using SplitNet.Models.Data;
using SplitNet.Models.Text;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet bench uplink</c>.</summary>
internal sealed record UplinkSettings(string ServerNamespace, string ServerAddress, string Device, string? HostNamespace, string[] Rates,
    double Seconds, int Window, double CameraFps, string Data, int Limit, string TextModel, string TextData, string Name, string? Out, bool Json);

/// <summary>
/// <c>splitnet bench uplink</c>: the comparative run. From the edge's network namespace, over a veth
/// uplink shaped with tbf (made by <c>deploy/netns/uplink.sh</c>), every way to get the vision and
/// the text model's answer: the split at each rate level, the naive split, the input itself (PNG and
/// WebP lossless images, UTF-8 sentences) to the whole model on the server, and the whole model on
/// the device; frames/s, latency, bytes, accuracy (and, for text, cosine to the unsplit embedding).
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
        var textModel = new Option<string>("--text-model") { Description = "Text split model folder (edge/ and server/).", DefaultValueFactory = _ => TextEdgeCommand.DefaultModel };
        var textData = new Option<string>("--text-data")
        {
            Description = "WordNet data.noun file (or folder) whose glosses the text edge sends (default: the shipped sample).",
            DefaultValueFactory = _ => TextEdgeCommand.SampleGlosses,
        };
        var name = new Option<string>("--name") { Description = "Report file name (without extension).", DefaultValueFactory = _ => "uplink" };
        var output = CommonOptions.ReportOut();
        var json = CommonOptions.Json();
        var command = new Command("uplink",
            "The comparative run over shaped uplinks, vision and text: split levels, naive split, server-only (PNG/WebP images, UTF-8 text) and edge-only (run via deploy/netns/uplink.sh).")
        {
            serverNamespace, serverAddress, device, hostNamespace, rates, seconds, window, cameraFps, data, limit, textModel, textData, name, output, json,
        };
        command.SetAction((result, cancellation) => RunAsync(new UplinkSettings(result.GetValue(serverNamespace)!, result.GetValue(serverAddress)!, result.GetValue(device)!,
            result.GetValue(hostNamespace), result.GetValue(rates)!, result.GetValue(seconds), result.GetValue(window), result.GetValue(cameraFps), result.GetValue(data)!,
            result.GetValue(limit), result.GetValue(textModel)!, result.GetValue(textData)!, result.GetValue(name)!, result.GetValue(output), result.GetValue(json)), cancellation));
        return command;
    }

    /// <summary>One path of one model at one uplink rate. Accuracy: category accuracy over labelled frames; cosine: text answers' to the unsplit embedding.</summary>
    internal sealed record Row(string Model, string Rate, string Path, double FramesPerSecond, double P50, double P99, double P999, double PayloadBytes, double MessageBytes,
        double Accuracy, double? Cosine, int Frames, int Lost, long Duplicates);

    private static async Task<int> RunAsync(UplinkSettings s, CancellationToken cancellation)
    {
        if (!NetworkNamespace.IsOwn(s.HostNamespace))
        {
            Console.Error.WriteLine("refusing to shape a link of the host's network namespace; run deploy/netns/uplink.sh, which makes namespaces of its own");
            return 2;
        }
        CommonOptions.UseThreads(1);
        using var paths = new UplinkPaths(s);
        int port = 50051;
        using var server = await ServeProcess.StartAsync(CommonOptions.Splitnet, port, UplinkPaths.ServerModels(s), cancellation, host: s.ServerAddress,
            launcher: ["ip", "netns", "exec", s.ServerNamespace]);
        var rows = new List<Row>();
        var edgeOnly = new[] { paths.VisionEdgeOnly(s.Seconds), paths.TextEdgeOnly(s.Seconds) };
        foreach (var rate in s.Rates)
        {
            NetworkNamespace.Shape(s.Device, rate);
            foreach (var path in paths.All)
            {
                Console.Error.Write($"{rate,-10} {path.Model,-6} {path.Name,-36} ");
                var row = await MeasureAsync(s, server.Url, rate, path, cancellation);
                Console.Error.WriteLine(FormattableString.Invariant($"{row.FramesPerSecond,8:F1} frames/s  p50 {row.P50,7:F1} ms  {row.PayloadBytes,7:F1} B  {row.Accuracy:P1}"));
                rows.Add(row);
            }
            rows.AddRange(edgeOnly.Select(r => r with { Rate = rate }));
        }
        NetworkNamespace.Shape(s.Device, "none");
        ReportOutput.Emit(s.Name, s.Out, s.Json, Markdown(s, rows, ReportOutput.CommandLine), new { settings = s, rows }, Chart(s, rows), plotHeight: 900);
        return 0;
    }

    private static async Task<Row> MeasureAsync(UplinkSettings s, string url, string rate, UplinkPath path, CancellationToken cancellation)
    {
        var head = path.Encoder();
        await using var client = new EdgeClient(new EdgeClientOptions { Endpoints = [new Uri(url)], Window = s.Window, FrameDeadline = TimeSpan.FromSeconds(30) }, head.Open);
        double cosine = 0;
        long compared = 0;
        void Compare(FrameOutcome o)
        {
            if (path.Reference is { } reference && o.Answer is { Succeeded: true, Embedding: { } embedding })
            {
                var c = BertModel.Cosine(embedding, reference[(int)(o.Index % path.Source.Count)]);
                lock (path)
                {
                    (cosine, compared) = (cosine + c, compared + 1);
                }
            }
        }
        // The first second of a fresh stream (connection, first batches) is not the link: a short unmeasured run first.
        await EdgeRunner.RunAsync(head, client, path.Source, new EdgeRunOptions { Duration = TimeSpan.FromSeconds(1) }, cancellation: cancellation);
        // Capacity: frames back to back, as fast as the encoder, the window and the link take them.
        var capacity = await EdgeRunner.RunAsync(head, client, path.Source, new EdgeRunOptions { Duration = TimeSpan.FromSeconds(s.Seconds) }, onFrame: Compare, cancellation: cancellation);
        // Latency: a camera (or a stream of sentences) at its own rate, which a path either keeps up with or not.
        var camera = await EdgeRunner.RunAsync(head, client, path.Source, new EdgeRunOptions { FrameRate = s.CameraFps, Duration = TimeSpan.FromSeconds(s.Seconds) },
            onFrame: Compare, cancellation: cancellation);
        return new Row(path.Model, rate, path.Name, capacity.FramesPerSecond, camera.LatencyMs.P50, camera.LatencyMs.P99, camera.LatencyMs.P999, capacity.BytesPerFrame,
            capacity.MessageBytesPerFrame, (capacity.Accuracy * capacity.Frames + camera.Accuracy * camera.Frames) / (capacity.Frames + camera.Frames),
            compared > 0 ? cosine / compared : null, capacity.Frames + camera.Frames, capacity.Failed + camera.Failed, capacity.Duplicates + camera.Duplicates);
    }

    private static string Markdown(UplinkSettings s, IReadOnlyList<Row> rows, string command)
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        Line($"# The comparative run: the vision and the text model over shaped uplinks");
        Line($"");
        Line($"Produced by `deploy/netns/uplink.sh` (`{command}`): the edge and `splitnet serve` in two network namespaces of their own,");
        Line($"joined by a veth pair whose edge side is shaped on egress (`tc … tbf rate R burst 32kb latency 100ms`; answers come back unshaped).");
        Line($"Each path, with {s.Window} frames in flight, after 1 s unmeasured: a capacity run of {s.Seconds} s, frames back to back");
        Line($"(frames/s is what encoder, window and link carry), then a latency run of {s.Seconds} s at {s.CameraFps} frames/s, a camera or a stream of sentences");
        Line($"(latency from the scheduled capture time to the answer, so a path that cannot keep up shows it). Accuracy over both runs' labelled frames. Edge and server share this machine's");
        Line($"2 cores, one TorchSharp thread each; edge-only runs the whole model on the device (one thread), its row repeated per rate since it uses no link.");
        Line($"");
        Line($"## Vision: the Entropic Student and the Fashion-MNIST teacher, {s.Limit} test images");
        Line($"");
        Table(rows.Where(r => r.Model == UplinkPaths.Vision), cosine: false);
        Line($"## Text: the shipped MiniLM split (all-MiniLM-L6-v2 + WordNet category head), the glosses of `{Path.GetFileName(Path.GetDirectoryName(s.TextData))}/{Path.GetFileName(s.TextData)}`");
        Line($"");
        Line($"A frame is a sentence. Accuracy: the category head's; cosine: of the served embedding to the unsplit model's on the same sentence.");
        Line($"");
        Table(rows.Where(r => r.Model == UplinkPaths.Text), cosine: true);

        var slow = s.Rates[0];
        Row? At(string model, Func<Row, bool> which) => rows.FirstOrDefault(r => r.Model == model && r.Rate == slow && which(r));
        var webp = At(UplinkPaths.Vision, r => r.Path.Contains("WebP"));
        var levels = rows.Where(r => r.Model == UplinkPaths.Vision && r.Rate == slow && r.Path.StartsWith("split, level", StringComparison.Ordinal)).ToList();
        if (webp is { FramesPerSecond: > 0 } && levels.Count > 0)
        {
            Line($"## Target: through {slow}, the vision split at its default level ≥ 10× the frames/s of server-only WebP lossless");
            Line($"");
            foreach (var r in levels)
            {
                Line($"- {r.Path}: {r.FramesPerSecond / webp.FramesPerSecond:F2}× the frames/s ({r.FramesPerSecond:F1} vs {webp.FramesPerSecond:F1}), accuracy {r.Accuracy:P2} vs {webp.Accuracy:P2}.");
            }
            Line($"");
        }
        var sentence = At(UplinkPaths.Text, r => r.Path.Contains("the text"));
        var naive = At(UplinkPaths.Text, r => r.Path.StartsWith("naive", StringComparison.Ordinal));
        if (sentence is { FramesPerSecond: > 0 } && naive is not null)
        {
            Line($"## Text through {slow}: each path against sending the sentence itself");
            Line($"");
            foreach (var r in rows.Where(r => r.Model == UplinkPaths.Text && r.Rate == slow && r != sentence))
            {
                Line($"- {r.Path}: {r.FramesPerSecond / sentence.FramesPerSecond:F2}× the sentences/s ({r.FramesPerSecond:F1} vs {sentence.FramesPerSecond:F1}), {r.PayloadBytes:F1} vs {sentence.PayloadBytes:F1} B, accuracy {r.Accuracy:P2} vs {sentence.Accuracy:P2}.");
            }
            Line($"");
        }
        Line($"Every row: lost = frames without an answer, duplicates = answers dropped as repeats. Plot in `{s.Name}.png`.");
        return text.ToString();

        void Table(IEnumerable<Row> table, bool cosine)
        {
            Line($"| uplink | path | frames/s | p50 ms | p99 ms | p99.9 ms | payload B/frame | message B/frame | accuracy |{(cosine ? " cosine |" : "")} frames | lost | duplicates |");
            Line($"|---|---|---:|---:|---:|---:|---:|---:|---:|{(cosine ? "---:|" : "")}---:|---:|---:|");
            foreach (var r in table)
            {
                var c = cosine ? FormattableString.Invariant($" {r.Cosine:F4} |") : "";
                Line($"| {r.Rate} | {r.Path} | {r.FramesPerSecond:F1} | {r.P50:F1} | {r.P99:F1} | {r.P999:F1} | {r.PayloadBytes:F1} | {r.MessageBytes:F1} | {r.Accuracy:P2} |{c} {r.Frames} | {r.Lost} | {r.Duplicates} |");
            }
            Line($"");
        }
    }

    private static Plot Chart(UplinkSettings s, IReadOnlyList<Row> rows)
    {
        var plot = new ScottPlot.Plot();
        var positions = s.Rates.Select((_, i) => (double)i).ToArray();
        foreach (var (model, path) in rows.Select(r => (r.Model, r.Path)).Distinct())
        {
            var ys = s.Rates.Select(rate => rows.FirstOrDefault(r => r.Model == model && r.Rate == rate && r.Path == path)?.FramesPerSecond ?? 0)
                .Select(v => Math.Log10(Math.Max(v, 0.1))).ToArray();
            var series = plot.Add.Scatter(positions, ys);
            series.LegendText = $"{model}: {path}";
            series.LinePattern = model == UplinkPaths.Text ? LinePattern.Dashed : LinePattern.Solid;
        }
        plot.Axes.Bottom.SetTicks(positions, s.Rates);
        plot.Axes.Bottom.Label.Text = "uplink";
        plot.Axes.Left.Label.Text = "frames/s (log10)";
        plot.Title("Frames (images, sentences) per second by path and uplink");
        plot.ShowLegend(ScottPlot.Edge.Right);
        return plot;
    }
}
