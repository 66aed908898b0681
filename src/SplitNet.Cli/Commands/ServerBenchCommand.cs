using System.CommandLine;
using System.Diagnostics;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using SplitNet.Contracts.Inference;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Evaluation;
using SplitNet.LoadTest;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Models.Data;
using SplitNet.Server;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet bench server</c>.</summary>
internal sealed record ServerBenchSettings(string Model, TimeSpan Duration, int Streams, int Window, int[] Batches, int DelayMicros,
    double Overload, int OverloadRuns, int OverloadQueue, uint DeadlineMicros, int Threads, int Headroom, string? Out, bool Json);

/// <summary>
/// <c>splitnet bench server</c>: the server's throughput against its in-process limit, the gain
/// from dynamic batching, and its behaviour at twice its capacity, side by side in one run.
/// </summary>
internal static class ServerBenchCommand
{
    public static Command Create()
    {
        var model = CommonOptions.SplitModel();
        var seconds = CommonOptions.Seconds(8);
        var streams = new Option<int>("--streams") { Description = "Concurrent streams.", DefaultValueFactory = _ => 32 };
        var window = new Option<int>("--window") { Description = "Unanswered frames per stream.", DefaultValueFactory = _ => 8 };
        var batches = new Option<int[]>("--max-batch") { Description = "Max batch sizes to compare (the largest is the batched configuration).", DefaultValueFactory = _ => [1, 4, 16, 32], AllowMultipleArgumentsPerToken = true };
        var delay = new Option<int>("--max-queue-delay-us") { DefaultValueFactory = _ => 2000 };
        var overload = new Option<double>("--overload") { Description = "Offered load of the overload run, as a multiple of the measured capacity.", DefaultValueFactory = _ => 2 };
        overload.Require(x => x > 0, "an offered load is a positive multiple of the capacity.");
        var runs = new Option<int>("--overload-runs") { Description = "Overload runs, one after another, each on a fresh server (0: none).", DefaultValueFactory = _ => 1 }
            .Require(n => n >= 0, "a count of runs is not negative.");
        var queue = new Option<int>("--overload-queue") { Description = "Queue bound of the overload run.", DefaultValueFactory = _ => 128 };
        var deadline = CommonOptions.DeadlineMs(100);
        var headroom = new Option<int>("--deadline-headroom") { Description = "The server's DeadlineHeadroomPercent in the overload run.", DefaultValueFactory = _ => new SplitNetServerOptions().DeadlineHeadroomPercent };
        // The servers get the same count (0: their own choice per batch); --torch-threads is its former name.
        var threads = CommonOptions.Threads();
        threads.Aliases.Add("--torch-threads");
        var output = CommonOptions.ReportOut();
        var json = CommonOptions.Json();
        var command = new Command("server", "Server throughput vs in-process decode+tail, dynamic batching vs batch size 1, and overload at 2x capacity.")
        {
            model, seconds, streams, window, batches, delay, overload, runs, queue, deadline, headroom, threads, output, json,
        };
        command.SetAction((result, cancellation) => ReportAsync(new ServerBenchSettings(
            result.GetValue(model)!, TimeSpan.FromSeconds(result.GetValue(seconds)), result.GetValue(streams), result.GetValue(window),
            [.. result.GetValue(batches)!.Order()], result.GetValue(delay), result.GetValue(overload), result.GetValue(runs), result.GetValue(queue),
            (uint)result.GetValue(deadline) * 1000, result.GetValue(threads), result.GetValue(headroom), result.GetValue(output), result.GetValue(json)), cancellation));
        return command;
    }

    private static async Task<int> ReportAsync(ServerBenchSettings settings, CancellationToken cancellation)
    {
        CommonOptions.UseThreads(settings.Threads);
        var report = await RunAsync(settings, cancellation);
        ReportOutput.Emit(ServerBenchReport.Name, settings.Out, settings.Json, ServerBenchReport.Markdown(report, ReportOutput.CommandLine),
            ServerBenchReport.Data(report), ServerBenchReport.Chart(report));
        return 0;
    }

    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);

    private static async Task<ServerBenchResult> RunAsync(ServerBenchSettings s, CancellationToken cancellation)
    {
        using var edge = SplitModel.Load(SplitModelBundle.SideDirectory(s.Model, BundleSide.Edge), BundleSide.Edge, TorchFamilies.All);
        var edgeManifest = edge.Manifest;
        var serverDirectory = SplitModelBundle.SideDirectory(s.Model, BundleSide.Server);
        using var torchModel = TorchSplitModel.Load(s.Model);
        int level = edgeManifest.DefaultLevel;
        var head = new LatentEdgeHead(edge, (uint)level);
        var sample = FashionMnist.Load(CommonOptions.SampleDirectory, DatasetSplit.Test);
        var frames = Enumerable.Range(0, sample.Count).Select(i => head.Encode(sample.Image(i))).Select(f => new LoadFrame(f.Payload, f.RateLevel, f.LatentLength)).ToArray();
        var payloads = frames.Select(f => f.Payload).ToArray();

        var rows = new List<BatchRow>();
        foreach (int batch in s.Batches)
        {
            Console.Error.WriteLine($"max batch {batch}: in-process decode + tail …");
            // The servers change libtorch's (process-wide) thread count; in-process runs get the asked one back.
            CommonOptions.UseThreads(s.Threads);
            double bare = TailThroughput.Measure(torchModel.Levels[level], edgeManifest.Stream, payloads, batch, s.Duration / 2);
            Console.Error.WriteLine($"max batch {batch}: {bare:F0} frames/s in-process; server under {s.Streams} streams …");
            await using var server = await StartAsync(serverDirectory, batch, s.DelayMicros, queue: 4 * s.Streams * s.Window, s.Threads, cancellation);
            var load = await RunLoadAsync(server, head.Open, frames, new LoadProfile(s.Streams, s.Window, s.Duration, WarmUp), cancellation);
            double meanBatch = await MeanBatchAsync(server, edgeManifest.ModelId);
            Console.Error.WriteLine($"max batch {batch}: {load.Throughput:F0} frames/s, p99 {load.Latency.P99:F1} ms, mean batch {meanBatch:F1}");
            rows.Add(new BatchRow(batch, bare, load, meanBatch));
        }

        var overloads = new List<OverloadRow>();
        for (int run = 1; run <= s.OverloadRuns; run++)
        {
            // Each run's capacity is measured just before it, closed loop on a fresh server: on a shared
            // machine the speed drifts from minute to minute, and a ratio is only honest side by side.
            Console.Error.WriteLine($"overload run {run} of {s.OverloadRuns}: closed-loop capacity …");
            double capacity;
            await using (var closed = await StartAsync(serverDirectory, s.Batches.Max(), s.DelayMicros, queue: 4 * s.Streams * s.Window, s.Threads, cancellation))
            {
                capacity = (await RunLoadAsync(closed, head.Open, frames, new LoadProfile(s.Streams, s.Window, s.Duration, WarmUp), cancellation)).Throughput;
            }
            var offered = s.Overload * capacity;
            Console.Error.WriteLine($"overload run {run} of {s.OverloadRuns}: {offered:F0} frames/s offered against {capacity:F0} frames/s capacity, queue {s.OverloadQueue} …");
            overloads.Add(await OverloadAsync(s, serverDirectory, head.Open, frames, capacity, offered, cancellation));
        }
        return new ServerBenchResult(edgeManifest.ModelId, level, payloads.Average(p => p.Length), s.Streams, s.Window, s.DelayMicros,
            rows, overloads, $"{Environment.ProcessorCount} cores, {Environment.OSVersion}");
    }

    private static async Task<OverloadRow> OverloadAsync(ServerBenchSettings s, string serverDirectory, StreamOpen? open, LoadFrame[] frames,
        double capacity, double offered, CancellationToken cancellation)
    {
        await using var server = await StartAsync(serverDirectory, s.Batches.Max(), s.DelayMicros, s.OverloadQueue, s.Threads, cancellation, s.Headroom);
        double heapStart = HeapMegabytes();
        using var process = Process.GetCurrentProcess();
        double workingSetStart = process.WorkingSet64 / 1e6, workingSetPeak = workingSetStart;
        var samples = new List<double>();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
            while (await timer.WaitForNextTickAsync(sampling.Token).ConfigureAwait(false))
            {
                process.Refresh();
                samples.Add(process.WorkingSet64 / 1e6);
                workingSetPeak = Math.Max(workingSetPeak, samples[^1]);
            }
        }, CancellationToken.None);
        var load = await RunLoadAsync(server, open, frames,
            new LoadProfile(s.Streams, Window: 1 << 16, s.Duration, WarmUp, Rate: offered, FrameTimeoutMicros: s.DeadlineMicros), cancellation);
        await sampling.CancelAsync();
        await sampler.ContinueWith(_ => { }, TaskScheduler.Default);
        process.Refresh();
        double workingSetEnd = process.WorkingSet64 / 1e6;
        double heapEnd = HeapMegabytes();
        // Growth over the second half of the run: warm-up allocations are over by then.
        double workingSetMid = samples.Count > 1 ? samples[samples.Count / 2] : workingSetStart;
        var queue = server.App.QueueStatus();
        Console.Error.WriteLine($"overload: goodput {load.Goodput:F0} frames/s ({load.Goodput / capacity:P1} of capacity, worst second {load.GoodPerSecond.Min()}); {string.Join(", ", load.Statuses.Select(p => $"{p.Key} {p.Value}"))}; queue peak {queue.Peak}");
        return new OverloadRow(offered, capacity, queue.Capacity, queue.Peak, s.DeadlineMicros, load,
            heapStart, heapEnd, workingSetStart, workingSetMid, workingSetPeak, workingSetEnd);
    }

    private static double HeapMegabytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetGCMemoryInfo().HeapSizeBytes / 1e6;
    }

    private static async Task<LoadResult> RunLoadAsync(BenchServer server, StreamOpen? open, LoadFrame[] frames, LoadProfile profile, CancellationToken cancellation)
    {
        using var channel = GrpcChannel.ForAddress(server.Url);
        return await LoadGenerator.RunAsync(new SplitInference.SplitInferenceClient(channel), open, frames, profile, cancellation: cancellation);
    }

    private static async Task<double> MeanBatchAsync(BenchServer server, string model)
    {
        using var channel = GrpcChannel.ForAddress(server.Url);
        var stats = (await new GRPCInferenceService.GRPCInferenceServiceClient(channel).ModelStatisticsAsync(new ModelStatisticsRequest { Name = model })).ModelStats.Single();
        return stats.ExecutionCount == 0 ? 0 : (double)stats.InferenceCount / stats.ExecutionCount;
    }

    private static async Task<BenchServer> StartAsync(string serverDirectory, int maxBatch, int delayMicros, int queue, int torchThreads, CancellationToken cancellation, int? headroom = null)
    {
        var app = SplitNetServerHost.Build([], options =>
        {
            options.Port = 0;
            options.MetricsPort = 0;
            options.Models = [serverDirectory];
            options.MaxBatchSize = maxBatch;
            options.MaxQueueDelayMicroseconds = delayMicros;
            options.QueueCapacity = queue;
            options.MaxInFlightPerStream = 1 << 16;
            options.TorchThreads = torchThreads;
            options.DeadlineHeadroomPercent = headroom ?? options.DeadlineHeadroomPercent;
        }, LogLevel.Warning);
        await app.StartAsync(cancellation);
        await app.WhenReadyAsync(cancellation);
        return new BenchServer(app);
    }

    private sealed class BenchServer(WebApplication app) : IAsyncDisposable
    {
        public WebApplication App { get; } = app;
        public string Url => App.Urls.First();

        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }
}
