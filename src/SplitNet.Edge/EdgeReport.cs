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
public sealed record LatencySummary(double P50, double P90, double P99, double Max, double Mean);
