using SplitNet.Edge;
using SplitNet.Edge.RateControl;
using SplitNet.Edge.Resilience;
using SplitNet.Edge.Sources;

namespace SplitNet.LoadTest;

/// <summary>How a fleet of virtual edge devices runs: how many, how fast each captures, for how long, and whether each controls its rate.</summary>
public sealed record VirtualEdgeProfile(int Edges, double FramesPerSecond, TimeSpan Duration, TimeSpan Deadline, int Window = 8, bool Adaptive = false);

/// <summary>What a fleet of virtual edges got: totals over every edge, and the worst edge's tail.</summary>
public sealed record VirtualEdgeResult(int Edges, long Frames, long Failed, long Duplicates, long Retries, long Failovers, long DroppedAtCapture,
    double FramesPerSecond, double BytesPerFrame, double MeanP50Ms, double WorstP99Ms, double DeadlineMet, IReadOnlyDictionary<string, long> Sources);

/// <summary>
/// N virtual edge devices, each the real edge pipeline: its own encoder on its own thread, the
/// resilient client with its window and retries, a camera's capture schedule and, when adaptive,
/// the rate controller; against one endpoint or a balanced fleet (<c>dns:///</c>, <c>static:///</c>).
/// </summary>
public static class VirtualEdges
{
    /// <param name="encoder">Makes one edge's encoder (encoders are not thread-safe: one per edge).</param>
    public static async Task<VirtualEdgeResult> RunAsync(Func<LatentEdgeHead> encoder, IFrameSource source, IReadOnlyList<Uri> endpoints, VirtualEdgeProfile profile,
        string? apiKey = null, IProgress<double>? progress = null, CancellationToken cancellation = default)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var ticker = progress is null ? null : new Timer(_ => progress.Report(Math.Min(1, started.Elapsed / profile.Duration)), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        var reports = await Task.WhenAll(Enumerable.Range(0, profile.Edges).Select(_ => Task.Run(async () =>
        {
            var head = encoder();
            var control = profile.Adaptive
                ? new RateController(head.LevelBytes, (int)head.RateLevel, new RateControlOptions { FrameRate = profile.FramesPerSecond, Deadline = profile.Deadline })
                : null;
            await using var client = new EdgeClient(new EdgeClientOptions { Endpoints = endpoints, Window = profile.Window, FrameDeadline = profile.Deadline, ApiKey = apiKey }, head.Open);
            return await EdgeRunner.RunAsync(head, client, source, new EdgeRunOptions
            {
                FrameRate = profile.FramesPerSecond,
                Duration = profile.Duration,
                Deadline = profile.Deadline,
                RateControl = control,
            }, cancellation: cancellation).ConfigureAwait(false);
        }, cancellation))).ConfigureAwait(false);
        long frames = reports.Sum(r => (long)r.Frames);
        return new VirtualEdgeResult(profile.Edges, frames, reports.Sum(r => (long)r.Failed), reports.Sum(r => r.Duplicates), reports.Sum(r => r.Retries),
            reports.Sum(r => r.Failovers), reports.Sum(r => r.DroppedAtCapture), reports.Sum(r => r.FramesPerSecond),
            frames == 0 ? 0 : reports.Sum(r => r.BytesPerFrame * r.Frames) / frames, reports.Average(r => r.LatencyMs.P50), reports.Max(r => r.LatencyMs.P99),
            frames == 0 ? 0 : reports.Sum(r => r.DeadlineMet * r.Frames) / frames,
            reports.SelectMany(r => r.Sources).GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.Sum(s => (long)s.Value)));
    }
}
