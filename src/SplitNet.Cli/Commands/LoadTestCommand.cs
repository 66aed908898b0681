using System.CommandLine;
using Grpc.Net.Client;
using SplitNet.Edge;
using SplitNet.Edge.Sources;
using SplitNet.LoadTest;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Models.Data;
using SplitNet.Models.Text;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet loadtest</c>.</summary>
internal sealed record LoadTestSettings(string Server, string? ApiKey, string Model, uint? Rate, int Streams, int Window, double Seconds,
    double? FramesPerSecond, int TimeoutMs, Arrivals Arrivals, int Seed, int Edges, double Fps, bool Adaptive, int DeadlineMs, bool Json);

/// <summary><c>splitnet loadtest</c>: the harness against a running server.</summary>
internal static class LoadTestCommand
{
    public static Command Create()
    {
        var server = new Option<string>("--server") { Description = "Server URL, e.g. http://127.0.0.1:50051.", Required = true };
        var apiKey = EdgeCommand.ApiKeyOption();
        var model = CommonOptions.SplitModel();
        var rate = new Option<uint?>("--rate") { Description = "Rate level (default: the model's default level)." };
        var streams = new Option<int>("--streams") { Description = "Concurrent streams (simulated edge devices).", DefaultValueFactory = _ => 32 };
        var window = new Option<int>("--window") { Description = "Unanswered frames per stream.", DefaultValueFactory = _ => 8 };
        var seconds = CommonOptions.Seconds(10);
        var frameRate = new Option<double?>("--frames-per-second") { Description = "Open loop: total frames per second on schedule (default: closed loop, windows kept full)." };
        var timeout = new Option<int>("--timeout-ms") { Description = "Per-frame deadline on the server (0: none).", DefaultValueFactory = _ => 0 };
        var arrivals = new Option<Arrivals>("--arrivals") { Description = "Open loop: Constant (evenly spaced) or Poisson arrivals; latency counts from each frame's scheduled time.", DefaultValueFactory = _ => Arrivals.Constant };
        var seed = new Option<int>("--seed") { Description = "Seed of the Poisson arrivals.", DefaultValueFactory = _ => 1 };
        var edges = new Option<int>("--edges") { Description = "Virtual edge devices running the real edge pipeline (encoder, window, resilience; rate control with --adaptive) instead of pre-coded frames; 0: pre-coded.", DefaultValueFactory = _ => 0 };
        var fps = new Option<double>("--fps") { Description = "With --edges: frames each edge captures per second.", DefaultValueFactory = _ => 30 };
        var adaptive = new Option<bool>("--adaptive") { Description = "With --edges: each edge picks its rate level from its link." };
        var deadline = CommonOptions.DeadlineMs(1000);
        var json = CommonOptions.Json();
        var command = new Command("loadtest", "Drive a server with many streams of pre-coded frames from the sample (Fashion-MNIST, or the WordNet glosses for a text model); report throughput, latency and statuses.")
        {
            server, apiKey, model, rate, streams, window, seconds, frameRate, timeout, arrivals, seed, edges, fps, adaptive, deadline, json,
        };
        command.SetAction((result, cancellation) => RunAsync(new LoadTestSettings(
            result.GetValue(server)!, result.GetValue(apiKey), result.GetValue(model)!, result.GetValue(rate), result.GetValue(streams), result.GetValue(window),
            result.GetValue(seconds), result.GetValue(frameRate), result.GetValue(timeout), result.GetValue(arrivals), result.GetValue(seed),
            result.GetValue(edges), result.GetValue(fps), result.GetValue(adaptive), result.GetValue(deadline), result.GetValue(json)), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(LoadTestSettings settings, CancellationToken cancellation)
    {
        if (settings.Edges > 0)
        {
            return await RunEdgesAsync(settings, cancellation);
        }
        using var edge = SplitModel.Load(SplitModelBundle.SideDirectory(settings.Model, BundleSide.Edge), BundleSide.Edge, TorchFamilies.All);
        uint level = settings.Rate ?? (uint)edge.Manifest.DefaultLevel;
        var head = new LatentEdgeHead(edge, level);
        IFrameSource sample = edge.Manifest.Input == InputKind.Tokens
            ? TextSource.FromWordNet(TextEdgeCommand.SampleGlosses, edge.Manifest.Labels, new WordPieceTokenizer(MiniLmPackage.Locate().Vocabulary, edge.Latent.MaxLength))
            : new DatasetSource(FashionMnist.Load(CommonOptions.SampleDirectory, DatasetSplit.Test), CommonOptions.SampleDirectory);
        LoadFrame[] frames = [.. Enumerable.Range(0, sample.Count).Select(i => head.Encode(sample.Input(i))).Select(f => new LoadFrame(f.Payload, f.RateLevel, f.LatentLength))];
        double? offered = settings.FramesPerSecond;
        var profile = new LoadProfile(settings.Streams, offered is null ? settings.Window : 1 << 16,
            TimeSpan.FromSeconds(settings.Seconds), TimeSpan.FromSeconds(2), offered, (uint)settings.TimeoutMs * 1000, settings.Arrivals, settings.Seed);
        using var channel = GrpcChannel.ForAddress(settings.Server);
        var progress = settings.Json || Console.IsErrorRedirected ? null : new Progress<double>(f => Console.Error.Write($"\r{f:P0}"));
        LoadResult load;
        try
        {
            load = await LoadGenerator.RunAsync(EdgeCommand.Client(channel, settings.ApiKey), head.Open, frames, profile, progress, cancellation);
        }
        catch (Grpc.Core.RpcException e)
        {
            return EdgeCommand.Refused(e);
        }
        if (settings.Json)
        {
            JsonOutput.Write(load);
            return 0;
        }
        Console.Error.WriteLine();
        Console.WriteLine($"{load.Throughput:F0} frames/s OK over {load.Seconds:F0} s; {string.Join(", ", load.Statuses.Select(s => $"{s.Key} {s.Value}"))}; unanswered {load.Unanswered}");
        Console.WriteLine($"latency OK  p50 {load.Latency.P50:F2} ms  p99 {load.Latency.P99:F2} ms  (server p50 {load.ServerLatency.P50:F2} ms, p99 {load.ServerLatency.P99:F2} ms)");
        return 0;
    }

    /// <summary>Virtual edge devices, each the real edge pipeline, against <c>--server</c> (one endpoint or a balanced fleet).</summary>
    private static async Task<int> RunEdgesAsync(LoadTestSettings settings, CancellationToken cancellation)
    {
        var directory = SplitModelBundle.SideDirectory(settings.Model, BundleSide.Edge);
        var families = CommonOptions.EdgeFamilies(Server.Serving.ModelBackend.Auto, directory);
        var models = new List<SplitModel>();
        try
        {
            LatentEdgeHead Encoder()
            {
                var model = SplitModel.Load(directory, BundleSide.Edge, families);
                lock (models)
                {
                    models.Add(model);
                }
                return new LatentEdgeHead(model, settings.Rate ?? (uint)model.Manifest.DefaultLevel);
            }
            var source = new DatasetSource(FashionMnist.Load(CommonOptions.SampleDirectory, DatasetSplit.Test), CommonOptions.SampleDirectory);
            var progress = settings.Json || Console.IsErrorRedirected ? null : new Progress<double>(f => Console.Error.Write($"\r{f:P0}"));
            var result = await VirtualEdges.RunAsync(Encoder, source, [new Uri(settings.Server)],
                new VirtualEdgeProfile(settings.Edges, settings.Fps, TimeSpan.FromSeconds(settings.Seconds), TimeSpan.FromMilliseconds(settings.DeadlineMs), settings.Window, settings.Adaptive),
                settings.ApiKey, progress, cancellation);
            if (settings.Json)
            {
                JsonOutput.Write(result);
                return result.Failed == 0 ? 0 : 1;
            }
            Console.Error.WriteLine();
            Console.WriteLine($"{result.Edges} edges: {result.FramesPerSecond:F0} frames/s, {result.Frames} frames ({result.Failed} failed, {result.Duplicates} duplicates, {result.DroppedAtCapture} dropped at capture); answered by {string.Join(", ", result.Sources.Select(s => $"{s.Key} {s.Value}"))}");
            Console.WriteLine($"latency mean p50 {result.MeanP50Ms:F2} ms, worst edge p99 {result.WorstP99Ms:F2} ms; {result.DeadlineMet:P1} within {settings.DeadlineMs} ms; {result.BytesPerFrame:F1} B/frame; {result.Retries} retries, {result.Failovers} failovers");
            return result.Failed == 0 ? 0 : 1;
        }
        finally
        {
            models.ForEach(m => m.Dispose());
        }
    }
}
