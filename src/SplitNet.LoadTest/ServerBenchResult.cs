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
    OverloadRow Overload,
    string Machine)
{
    /// <summary>The row at the largest max batch size.</summary>
    public BatchRow Batched => Batches.MaxBy(b => b.MaxBatchSize)!;

    /// <summary>The row without batching (max batch size 1).</summary>
    public BatchRow Unbatched => Batches.First(b => b.MaxBatchSize == 1);
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

/// <summary>The targets read off a result.</summary>
public sealed record ServerBenchTargets(
    double ServerOverBare, bool ServerOverBareMet,
    double BatchingGain, bool BatchingGainMet,
    bool QueueBounded, double RejectionP99Ms, bool RejectionFastMet, double ServerRejectionP99Ms,
    double AcceptedWithinDeadline, bool DeadlinesMet, double ServerAcceptedWithinDeadline,
    double SecondHalfGrowthMegabytes, bool MemoryFlat)
{
    public static ServerBenchTargets Compute(ServerBenchResult r)
    {
        var o = r.Overload;
        double gain = r.Batched.Server.Throughput / r.Unbatched.Server.Throughput;
        double growth = o.WorkingSetEndMegabytes - o.WorkingSetMidMegabytes;
        return new ServerBenchTargets(
            r.Batched.ServerOverBare, r.Batched.ServerOverBare >= 0.8,
            gain, gain >= 2,
            o.QueuePeak <= o.QueueCapacity, o.Load.RejectionLatency.P99, o.Load.RejectionLatency.P99 < 5, o.Load.ServerRejectionLatency.P99,
            o.Load.WithinDeadline, o.Load.WithinDeadline >= 0.99, o.Load.ServerWithinDeadline,
            growth, growth <= 0.05 * o.WorkingSetMidMegabytes);
    }
}
