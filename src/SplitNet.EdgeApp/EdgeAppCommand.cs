using System.CommandLine;
using System.Text.Json;
using SplitNet.Codec;
using SplitNet.Edge;
using SplitNet.Edge.Resilience;
using SplitNet.Edge.Sources;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Split;
using SplitNet.OnnxRuntime;

namespace SplitNet.EdgeApp;

/// <summary>
/// <c>splitnet-edge</c>: runs an exported split model's edge part on images, codes each frame
/// and streams it to servers through the resilient client; reports accuracy, bytes and latency.
/// </summary>
internal static class EdgeAppCommand
{
    private static string Assets => Path.Combine(AppContext.BaseDirectory, "assets");

    public static RootCommand Create()
    {
        var servers = new Option<string[]>("--server") { Description = "Server URL, e.g. http://127.0.0.1:50051; repeat it for failover.", Required = true, AllowMultipleArgumentsPerToken = true };
        var model = new Option<string>("--model") { Description = "Edge bundle: a split model with ONNX exports (default: the shipped vision model's) or an imported ONNX split (`splitnet import onnx`).", DefaultValueFactory = _ => Path.Combine(Assets, "models", "entropic", "edge") };
        var data = new Option<string>("--data") { Description = "Folder with Fashion-MNIST IDX files (default: the shipped sample).", DefaultValueFactory = _ => Path.Combine(Assets, "fashion-mnist-sample") };
        var images = new Option<string?>("--images") { Description = "A folder of images (class = subfolder name) instead of --data." };
        var count = new Option<int>("--count") { Description = "Frames to send (0: every image).", DefaultValueFactory = _ => 0 };
        var rate = new Option<uint?>("--rate") { Description = "Rate level (default: the model's default level)." };
        var window = new Option<int>("--window") { Description = "Frames in flight per stream.", DefaultValueFactory = _ => 8 };
        var deadline = new Option<int>("--deadline-ms") { Description = "Per-frame deadline in milliseconds.", DefaultValueFactory = _ => 2000 };
        var apiKey = new Option<string?>("--api-key") { Description = "API key for a server that requires one (sent as a Bearer token)." };
        var predictions = new Option<string?>("--predictions") { Description = "Write one line per frame, 'index,class id', to this file." };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime threads for the edge part.", DefaultValueFactory = _ => 1 };
        var cut = new Option<int>("--cut") { Description = "Imported ONNX split: the cut to run (its id in the manifest).", DefaultValueFactory = _ => 0 };
        var codec = new Option<string>("--codec") { Description = "Imported ONNX split: float16, affine8-lz4 or float32.", DefaultValueFactory = _ => "float16" };
        codec.AcceptOnlyFromAmong("float16", "affine8-lz4", "float32");
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the results instead of text." };
        var command = new RootCommand("SplitNet edge node (ONNX Runtime): run the edge part, code the latent, stream it to servers.")
        {
            servers, model, data, images, count, rate, window, deadline, apiKey, predictions, threads, cut, codec, json,
        };
        command.SetAction((result, cancellation) => RunAsync(new EdgeAppSettings(
            [.. result.GetValue(servers)!], result.GetValue(model)!, result.GetValue(data)!, result.GetValue(images), result.GetValue(count),
            result.GetValue(rate), result.GetValue(window), result.GetValue(deadline), result.GetValue(apiKey),
            result.GetValue(predictions), result.GetValue(threads), result.GetValue(cut), result.GetValue(codec) switch
            {
                "float32" => CodecId.RawFloat32,
                "affine8-lz4" => CodecId.Affine8Lz4,
                _ => CodecId.Float16,
            }, result.GetValue(json)), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(EdgeAppSettings settings, CancellationToken cancellation)
    {
        var options = new OnnxRuntimeOptions { IntraOpThreads = settings.Threads };
        if (Format(settings.Model) == OnnxSplitManifest.CurrentFormat)
        {
            return await RunImportedAsync(settings, options, cancellation);
        }
        using var model = SplitModel.Load(settings.Model, BundleSide.Edge, [new OnnxRuntimeFamily(options)]);
        var head = new LatentEdgeHead(model, settings.Rate ?? (uint)model.Manifest.DefaultLevel);
        IFrameSource source = settings.Images is { } folder
            ? new ImageFolderSource(folder, model.Manifest.Labels)
            : Dataset(settings);
        var (report, code) = await StreamAsync(settings, head, source, cancellation);
        Print(settings, model.Id, $"level {head.RateLevel}", report);
        return code;
    }

    /// <summary>An imported ONNX model's head on photos, its feature sent with a naive codec.</summary>
    private static async Task<int> RunImportedAsync(EdgeAppSettings settings, OnnxRuntimeOptions options, CancellationToken cancellation)
    {
        using var model = OnnxSplitModel.Load(settings.Model, BundleSide.Edge, options);
        if (settings.Images is not { } folder)
        {
            Console.Error.WriteLine($"{settings.Model}: an imported image model reads photos: give --images DIR");
            return 2;
        }
        if (settings.Cut < 0 || settings.Cut >= model.Heads.Count)
        {
            Console.Error.WriteLine($"{settings.Model}: no cut {settings.Cut} (it has {model.Heads.Count})");
            return 2;
        }
        var input = model.Manifest.Input;
        var source = new ImageFolderSource(folder, model.Manifest.Labels, input.Width, input.Height, rgb: true);
        var (report, code) = await StreamAsync(settings, new EdgeHead(model.Heads[settings.Cut], settings.Codec), source, cancellation);
        Print(settings, model.Manifest.ModelId, $"cut {settings.Cut} at {model.Manifest.Cuts[settings.Cut].Tensor}, {settings.Codec}", report);
        return code;
    }

    private static async Task<(EdgeReport Report, int Code)> StreamAsync(EdgeAppSettings settings, IFrameEncoder head, IFrameSource source, CancellationToken cancellation)
    {
        var answers = new ConcurrentAnswers();
        var deadline = TimeSpan.FromMilliseconds(settings.DeadlineMs);
        await using var client = new EdgeClient(new EdgeClientOptions
        {
            Endpoints = [.. settings.Servers.Select(u => new Uri(u))],
            Window = settings.Window,
            FrameDeadline = deadline,
            ApiKey = settings.ApiKey,
        }, head.Open);
        var report = await EdgeRunner.RunAsync(head, client, source, new EdgeRunOptions { Deadline = deadline }, onFrame: answers.Add, cancellation: cancellation);
        if (settings.Predictions is { } path)
        {
            await File.WriteAllLinesAsync(path, answers.Lines(), cancellation);
        }
        return (report, report.Failed == 0 ? 0 : 1);
    }

    /// <summary>The <c>format</c> of a bundle's manifest, read before deciding how to load it.</summary>
    private static string? Format(string bundle)
    {
        var path = Path.Combine(bundle, SplitModelBundle.ManifestFile);
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            return document.RootElement.TryGetProperty("format", out var format) ? format.GetString() : null;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            throw new InvalidDataException($"{path}: cannot read the manifest ({e.Message})", e);
        }
    }

    private static DatasetSource Dataset(EdgeAppSettings settings)
    {
        var images = FashionMnist.Load(settings.Data, DatasetSplit.Test);
        return new DatasetSource(settings.Count > 0 ? images.Take(settings.Count) : images, settings.Data);
    }

    private static void Print(EdgeAppSettings settings, string modelId, string mode, EdgeReport report)
    {
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                model = modelId,
                backend = OnnxRuntimeFamily.BackendName,
                architecture = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
                mode,
                frames = report.Frames,
                failed = report.Failed,
                accuracy = report.Accuracy,
                bytes_per_frame = report.BytesPerFrame,
                latency_ms = new { p50 = report.LatencyMs.P50, p99 = report.LatencyMs.P99, max = report.LatencyMs.Max },
                frames_per_second = report.FramesPerSecond,
                duplicates = report.Duplicates,
            }, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
            return;
        }
        Console.WriteLine($"model {modelId}, {mode}, on ONNX Runtime ({System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture})");
        Console.WriteLine($"frames      {report.Frames} ({report.Failed} failed, {report.Duplicates} duplicates dropped)");
        Console.WriteLine($"accuracy    {report.Accuracy:P2}");
        Console.WriteLine($"bytes/frame {report.BytesPerFrame:F1}");
        Console.WriteLine($"latency     p50 {report.LatencyMs.P50:F2} ms  p99 {report.LatencyMs.P99:F2} ms");
        Console.WriteLine($"throughput  {report.FramesPerSecond:F0} frames/s");
    }
}

/// <summary>The options of <c>splitnet-edge</c>.</summary>
internal sealed record EdgeAppSettings(
    IReadOnlyList<string> Servers, string Model, string Data, string? Images, int Count, uint? Rate,
    int Window, int DeadlineMs, string? ApiKey, string? Predictions, int Threads, int Cut, CodecId Codec, bool Json);

/// <summary>Each frame's answer, collected from the client's completion threads.</summary>
internal sealed class ConcurrentAnswers
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, int> _classes = new();

    public void Add(FrameOutcome outcome) => _classes[outcome.Index] = outcome.Answer.Succeeded ? outcome.Answer.ClassId : -1;

    /// <summary>"index,class id" per frame in frame order; -1 for a frame that failed.</summary>
    public IEnumerable<string> Lines() => _classes.OrderBy(p => p.Key).Select(p => $"{p.Key},{p.Value}");
}
