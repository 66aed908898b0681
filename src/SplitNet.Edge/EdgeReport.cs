using HdrHistogram;

namespace SplitNet.Edge;

/// <summary>Summary of an edge run.</summary>
/// <param name="Frames">Frames captured and ended (each exactly once).</param>
/// <param name="Failed">Frames that ended without a prediction.</param>
/// <param name="Accuracy">Correct predictions over labelled frames.</param>
/// <param name="BytesPerFrame">Payload bytes sent per frame (frames answered on the edge count 0).</param>
/// <param name="MessageBytesPerFrame">Request message bytes sent per frame.</param>
/// <param name="LatencyMs">Capture to answer, over frames with a prediction.</param>
/// <param name="FramesPerSecond">Frames ended per second.</param>
/// <param name="Seconds">Run time.</param>
/// <param name="DeadlineMet">Share of frames answered within the run's deadline.</param>
/// <param name="Sources">Frames by who answered them.</param>
/// <param name="Levels">Frames sent per rate level.</param>
/// <param name="DroppedAtCapture">Camera frames the encoder could not take (it was still busy).</param>
/// <param name="Retries">Re-sends after a broken stream or a refusal.</param>
/// <param name="Failovers">Times the preferred server changed.</param>
/// <param name="Duplicates">Duplicate answers dropped.</param>
/// <param name="Timeline">Per second of the run: frames, share within the deadline, mean level sent, payload bytes sent.</param>
public sealed record EdgeReport(
    int Frames,
    int Failed,
    double Accuracy,
    double BytesPerFrame,
    double MessageBytesPerFrame,
    LatencySummary LatencyMs,
    double FramesPerSecond,
    double Seconds,
    double DeadlineMet,
    IReadOnlyDictionary<string, int> Sources,
    IReadOnlyList<int> Levels,
    long DroppedAtCapture,
    long Retries,
    long Failovers,
    long Duplicates,
    IReadOnlyList<TimelineSecond> Timeline);

/// <summary>One second of a run.</summary>
public sealed record TimelineSecond(int Second, int Frames, double DeadlineMet, double MeanLevel, long BytesSent);

/// <summary>Latency percentiles in milliseconds.</summary>
public sealed record LatencySummary(double P50, double P90, double P99, double Max, double Mean, double P999 = 0)
{
    /// <summary>Summarises a histogram of microseconds (all zero when it is empty).</summary>
    public static LatencySummary FromMicros(LongHistogram micros) => micros.TotalCount == 0
        ? new LatencySummary(0, 0, 0, 0, 0, 0)
        : new LatencySummary(
            micros.GetValueAtPercentile(50) / 1000.0,
            micros.GetValueAtPercentile(90) / 1000.0,
            micros.GetValueAtPercentile(99) / 1000.0,
            micros.GetMaxValue() / 1000.0,
            micros.GetMean() / 1000.0,
            micros.GetValueAtPercentile(99.9) / 1000.0);
}
