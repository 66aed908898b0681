using HdrHistogram;

namespace SplitNet.Edge;

/// <summary>Summary of an edge run.</summary>
public sealed record EdgeReport(
    int Frames,
    int Failed,
    double Accuracy,
    double BytesPerFrame,
    double MessageBytesPerFrame,
    LatencySummary LatencyMs,
    double FramesPerSecond,
    double Seconds,
    long UnmatchedAnswers);

/// <summary>Latency percentiles in milliseconds.</summary>
public sealed record LatencySummary(double P50, double P90, double P99, double Max, double Mean)
{
    /// <summary>Summarises a histogram of microseconds (all zero when it is empty).</summary>
    public static LatencySummary FromMicros(LongHistogram micros) => micros.TotalCount == 0
        ? new LatencySummary(0, 0, 0, 0, 0)
        : new LatencySummary(
            micros.GetValueAtPercentile(50) / 1000.0,
            micros.GetValueAtPercentile(90) / 1000.0,
            micros.GetValueAtPercentile(99) / 1000.0,
            micros.GetMaxValue() / 1000.0,
            micros.GetMean() / 1000.0);
}
