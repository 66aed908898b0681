using SplitNet.Edge;

namespace SplitNet.LoadTest;

/// <summary>Everything <c>splitnet bench server</c> measured, in one run.</summary>
public sealed record ServerBenchResult(
    string Model,
    int RateLevel,
    double PayloadBytes,
    int Streams,
    int Window,
    int MaxQueueDelayMicroseconds,
    IReadOnlyList<BatchRow> Batches,
    IReadOnlyList<OverloadRow> Overloads,
    string Machine)
{
    /// <summary>The row at the largest max batch size.</summary>
    public BatchRow Batched => Batches.MaxBy(b => b.MaxBatchSize)!;

    /// <summary>The row without batching (max batch size 1), when it was measured.</summary>
    public BatchRow? Unbatched => Batches.FirstOrDefault(b => b.MaxBatchSize == 1);
}

/// <summary>One max batch size: the server under the harness and the same work in-process.</summary>
/// <param name="MaxBatchSize">The server's max batch size and the in-process batch size.</param>
/// <param name="BareFramesPerSecond">rANS decode + decoder + tail in-process, at exactly that batch size.</param>
/// <param name="Server">The server under <c>Streams</c> closed-loop streams.</param>
/// <param name="MeanBatch">Frames per executed batch on the server (from its statistics).</param>
public sealed record BatchRow(int MaxBatchSize, double BareFramesPerSecond, LoadResult Server, double MeanBatch)
{
    public double ServerOverBare => Server.Throughput / BareFramesPerSecond;
}

/// <summary>An open-loop run above capacity against a bounded queue.</summary>
public sealed record OverloadRow(
    double OfferedPerSecond,
    double CapacityPerSecond,
    int QueueCapacity,
    int QueuePeak,
    uint DeadlineMicros,
    LoadResult Load,
    double HeapStartMegabytes,
    double HeapEndMegabytes,
    double WorkingSetStartMegabytes,
    double WorkingSetMidMegabytes,
    double WorkingSetPeakMegabytes,
    double WorkingSetEndMegabytes);

/// <summary>The targets read off a result: the overload ones hold only if they hold in every run.</summary>
public sealed record ServerBenchTargets(
    double ServerOverBare, bool ServerOverBareMet,
    double? BatchingGain, bool? BatchingGainMet,
    IReadOnlyList<OverloadTargets> Overloads, bool OverloadMet)
{
    public static ServerBenchTargets Compute(ServerBenchResult r)
    {
        double? gain = r.Unbatched is { } one ? r.Batched.Server.Throughput / one.Server.Throughput : null;
        var overloads = r.Overloads.Select(OverloadTargets.Compute).ToArray();
        return new ServerBenchTargets(r.Batched.ServerOverBare, r.Batched.ServerOverBare >= 0.8, gain, gain >= 2,
            overloads, overloads.All(o => o.Met));
    }
}

/// <summary>
/// One overload run against its targets: goodput (OK within the deadline) ≥ 80 % of the
/// closed-loop capacity, ≥ 99 % of accepted frames within their deadline, rejections in under
/// 5 ms p99 at the client, the queue within its bound and the working set flat.
/// </summary>
public sealed record OverloadTargets(
    double GoodputShare, bool GoodputMet, double WorstSecondShare,
    double AcceptedWithinDeadline, bool DeadlinesMet, double ServerAcceptedWithinDeadline,
    double RejectionP99Ms, bool RejectionFastMet, double ServerRejectionP99Ms,
    bool QueueBounded, double SecondHalfGrowthMegabytes, bool MemoryFlat)
{
    public bool Met => GoodputMet && DeadlinesMet && RejectionFastMet && QueueBounded && MemoryFlat;

    public static OverloadTargets Compute(OverloadRow o)
    {
        var load = o.Load;
        double share = load.Goodput / o.CapacityPerSecond;
        double worst = load.GoodPerSecond.Count == 0 ? 0 : load.GoodPerSecond.Min() / o.CapacityPerSecond;
        double growth = o.WorkingSetEndMegabytes - o.WorkingSetMidMegabytes;
        return new OverloadTargets(share, share >= 0.8, worst,
            load.WithinDeadline, load.WithinDeadline >= 0.99, load.ServerWithinDeadline,
            load.RejectionLatency.P99, load.RejectionLatency.P99 < 5, load.ServerRejectionLatency.P99,
            o.QueuePeak <= o.QueueCapacity, growth, growth <= 0.05 * o.WorkingSetMidMegabytes);
    }
}
