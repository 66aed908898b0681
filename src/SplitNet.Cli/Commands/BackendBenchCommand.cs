using System.CommandLine;
using System.Globalization;
using System.Text;
using SplitNet.Edge.Sources;
using SplitNet.Evaluation;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Export;
using SplitNet.Models.Split;
using SplitNet.Models.Text;
using SplitNet.OnnxRuntime;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet bench backends</c>.</summary>
internal sealed record BackendBenchSettings(string Vision, string Text, double SecondsPerRound, int Rounds, int EdgeFrames, string? Out, bool Json);

/// <summary>
/// <c>splitnet bench backends</c>: the same server and edge parts on TorchSharp and on ONNX Runtime,
/// one thread each, side by side: throughput at batch 1, 8 and 32, edge latency at batch 1, and how
/// far their outputs are apart.
/// </summary>
internal static class BackendBenchCommand
{
    private static readonly int[] BatchSizes = [1, 8, 32];

    public static Command Create()
    {
        var vision = new Option<string>("--vision") { Description = "Vision split model folder with ONNX exports (default: the shipped one).", DefaultValueFactory = _ => CommonOptions.DefaultEntropic };
        var text = new Option<string>("--text") { Description = "Text split model folder; its default level is exported to a temporary copy.", DefaultValueFactory = _ => Path.Combine(CommonOptions.AssetsDirectory, "models", "minilm") };
        var seconds = new Option<double>("--seconds") { Description = "Seconds per timed round and backend.", DefaultValueFactory = _ => 1.0 };
        var rounds = new Option<int>("--rounds") { Description = "Alternating rounds per backend (the median counts).", DefaultValueFactory = _ => 5 };
        var frames = new Option<int>("--edge-frames") { Description = "Inputs per edge round.", DefaultValueFactory = _ => 100 };
        var output = new Option<string?>("--out") { Description = "Folder for backends.md, .json and .png." };
        var json = CommonOptions.Json();
        var command = new Command("backends", "TorchSharp vs ONNX Runtime on the same parts, one thread each: server throughput at batch 1, 8, 32; edge latency; output differences.")
        {
            vision, text, seconds, rounds, frames, output, json,
        };
        command.SetAction(result => Run(new BackendBenchSettings(result.GetValue(vision)!, result.GetValue(text)!, result.GetValue(seconds),
            result.GetValue(rounds), result.GetValue(frames), result.GetValue(output), result.GetValue(json))));
        return command;
    }

    private static int Run(BackendBenchSettings settings)
    {
        CommonOptions.UseThreads(1);
        var onnx = new ISplitModelFamily[] { new OnnxRuntimeFamily(new OnnxRuntimeOptions { IntraOpThreads = 1 }) };
        var perRound = TimeSpan.FromSeconds(settings.SecondsPerRound);
        var servers = new List<ServerBackendRow>();
        var edges = new List<EdgeBackendRow>();

        var images = FashionMnist.Load(CommonOptions.SampleDirectory, DatasetSplit.Test);
        Measure("fashion-mnist split", settings.Vision, onnx, i => SplitInput.Image(images.Image(i % images.Count)), images.Count, settings, perRound, servers, edges);

        var copy = DefaultLevelCopy(settings.Text);
        try
        {
            Progress("exporting the text model's default level to ONNX");
            SplitModelOnnxExport.Export(SplitModelBundle.SideDirectory(copy, BundleSide.Edge), SplitModelBundle.SideDirectory(copy, BundleSide.Server));
            var (_, vocabulary) = MiniLmPackage.Locate();
            var manifest = SplitModelBundle.ReadManifest(SplitModelBundle.SideDirectory(copy, BundleSide.Edge), out _);
            var glosses = TextSource.FromWordNet(TextEdgeCommand.SampleGlosses, manifest.Labels, new WordPieceTokenizer(vocabulary, manifest.Latent!.MaxLength));
            Measure("minilm tail (k = 2)", copy, onnx, i => glosses.Input(i % glosses.Count), glosses.Count, settings, perRound, servers, edges);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
        Report(settings, servers, edges);
        return 0;
    }

    private static void Measure(string name, string folder, ISplitModelFamily[] onnx, Func<int, SplitInput> input, int inputs,
        BackendBenchSettings settings, TimeSpan perRound, List<ServerBackendRow> servers, List<EdgeBackendRow> edges)
    {
        string edgeDirectory = SplitModelBundle.SideDirectory(folder, BundleSide.Edge), serverDirectory = SplitModelBundle.SideDirectory(folder, BundleSide.Server);
        using var torchEdge = SplitModel.Load(edgeDirectory, BundleSide.Edge, TorchFamilies.All);
        using var onnxEdge = SplitModel.Load(edgeDirectory, BundleSide.Edge, onnx);
        using var torchServer = SplitModel.Load(serverDirectory, BundleSide.Server, TorchFamilies.All);
        using var onnxServer = SplitModel.Load(serverDirectory, BundleSide.Server, onnx);
        int level = torchEdge.Manifest.DefaultLevel;
        var entropy = torchEdge.Levels[level].Entropy;
        var frames = Enumerable.Range(0, Math.Min(inputs, 256)).Select(i =>
        {
            var latent = torchEdge.Levels[level].Edge!.Encode(input(i));
            var yHat = new float[latent.Symbols.Length];
            entropy.Dequantize(latent.Symbols, yHat);
            return (yHat, latent.Length);
        }).ToList();
        foreach (var batch in BatchSizes)
        {
            Progress($"{name}: server part, batch {batch}");
            servers.Add(BackendComparison.Server(name, torchServer.Levels[level].Server!, onnxServer.Levels[level].Server!,
                BackendComparison.Batch(torchServer.Latent, frames, batch), perRound, settings.Rounds));
        }
        Progress($"{name}: edge part, batch 1");
        edges.Add(BackendComparison.Edge(name, torchEdge.Levels[level].Edge!, onnxEdge.Levels[level].Edge!, input, settings.EdgeFrames, settings.Rounds));
    }

    /// <summary>A temporary copy of a split model holding only its default level, as level 0.</summary>
    private static string DefaultLevelCopy(string folder)
    {
        var copy = Path.Combine(Path.GetTempPath(), $"splitnet-backends-{Guid.NewGuid():N}");
        foreach (var side in new[] { BundleSide.Edge, BundleSide.Server })
        {
            string from = SplitModelBundle.SideDirectory(folder, side), to = SplitModelBundle.SideDirectory(copy, side);
            var manifest = SplitModelBundle.ReadManifest(from, out _);
            var level = manifest.Levels[manifest.DefaultLevel];
            Directory.CreateDirectory(to);
            var weights = side == BundleSide.Edge ? level.EdgeWeights : level.ServerWeights;
            File.Copy(Path.Combine(from, weights), Path.Combine(to, weights));
            BundleJson.Write(Path.Combine(to, SplitModelBundle.ManifestFile), manifest with { Levels = [level with { Level = 0, EdgeOnnx = null, ServerOnnx = null }], DefaultLevel = 0 });
        }
        return copy;
    }

    private static void Progress(string step) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {step}");

    private static void Report(BackendBenchSettings settings, List<ServerBackendRow> servers, List<EdgeBackendRow> edges)
    {
        var data = new
        {
            threads = 1,
            seconds_per_round = settings.SecondsPerRound,
            rounds = settings.Rounds,
            server = servers.Select(r => new { model = r.Model, batch_size = r.BatchSize, torch_frames_per_second = r.TorchFramesPerSecond, onnx_runtime_frames_per_second = r.OnnxFramesPerSecond, speedup = r.Speedup, max_abs_difference = r.MaxAbsDifference }),
            edge = edges.Select(r => new { model = r.Model, frames = r.Frames, torch_ms = r.TorchMilliseconds, onnx_runtime_ms = r.OnnxMilliseconds, speedup = r.Speedup, symbol_agreement = r.SymbolAgreement }),
            targets = new
            {
                server_speedup_at_batch_32 = servers.Where(r => r.BatchSize == 32).Select(r => new { model = r.Model, speedup = r.Speedup, met = r.Speedup >= 2 && r.MaxAbsDifference <= 1e-4 }),
                edge_speedup = edges.Select(r => new { model = r.Model, speedup = r.Speedup, met = r.Speedup >= 2 }),
            },
        };
        if (settings.Json)
        {
            Console.WriteLine(ReportWriter.Json(data).ReplaceLineEndings(" "));
        }
        var md = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        md.AppendLine("# Backends: TorchSharp vs ONNX Runtime").AppendLine();
        md.AppendLine(c, $"`splitnet bench backends --seconds {settings.SecondsPerRound} --rounds {settings.Rounds} --edge-frames {settings.EdgeFrames}`: the same parts on both backends, one thread each, {settings.Rounds} alternating rounds of {settings.SecondsPerRound} s per backend (median), on this 2-core shared machine. Server parts run on ŷ decoded from the sample's latents at the model's default level; the text model's default level is exported to a temporary copy.").AppendLine();
        md.AppendLine("## Server part throughput (frames/s)").AppendLine();
        md.AppendLine("| model | batch | TorchSharp | ONNX Runtime | speed-up | max abs. difference |").AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var r in servers)
        {
            md.AppendLine(c, $"| {r.Model} | {r.BatchSize} | {r.TorchFramesPerSecond:F0} | {r.OnnxFramesPerSecond:F0} | {r.Speedup:F2}× | {r.MaxAbsDifference:0.0e0} |");
        }
        md.AppendLine().AppendLine("## Edge part latency, batch 1 (ms per frame)").AppendLine();
        md.AppendLine("| model | frames | TorchSharp | ONNX Runtime | speed-up | symbols equal |").AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var r in edges)
        {
            md.AppendLine(c, $"| {r.Model} | {r.Frames} | {r.TorchMilliseconds:F3} | {r.OnnxMilliseconds:F3} | {r.Speedup:F2}× | {r.SymbolAgreement:P3} |");
        }
        md.AppendLine().AppendLine("## Targets").AppendLine();
        foreach (var r in servers.Where(r => r.BatchSize == 32))
        {
            md.AppendLine(c, $"- Server, {r.Model}, batch 32: {r.Speedup:F2}× (target ≥ 2×), outputs within {r.MaxAbsDifference:0.0e0} (target ≤ 1e-4): **{(r.Speedup >= 2 && r.MaxAbsDifference <= 1e-4 ? "met" : "not met")}**.");
        }
        foreach (var r in edges)
        {
            md.AppendLine(c, $"- Edge, {r.Model}, batch 1: {r.Speedup:F2}× faster (target ≥ 2×): **{(r.Speedup >= 2 ? "met" : "not met")}**.");
        }
        var plot = new ScottPlot.Plot();
        static string Short(string model) => model.Split(' ')[0];
        var labels = servers.Select(r => $"{Short(r.Model)}\nserver, batch {r.BatchSize}").Concat(edges.Select(r => $"{Short(r.Model)}\nedge, batch 1")).ToArray();
        var speedups = servers.Select(r => r.Speedup).Concat(edges.Select(r => r.Speedup)).ToArray();
        var bars = plot.Add.Bars(speedups);
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, labels.Length).Select(i => (double)i)], labels);
        plot.Add.HorizontalLine(2, pattern: ScottPlot.LinePattern.Dashed).LegendText = "target 2×";
        plot.YLabel("ONNX Runtime speed-up over TorchSharp (×)");
        plot.Title("Same parts, one thread each");
        bars.LegendText = "speed-up";
        foreach (var path in ReportWriter.Write("backends", settings.Out, md.ToString(), data, plot, plotWidth: 1100))
        {
            Console.Error.WriteLine($"wrote {path}");
        }
        if (!settings.Json)
        {
            Console.WriteLine(md.ToString());
        }
    }
}
