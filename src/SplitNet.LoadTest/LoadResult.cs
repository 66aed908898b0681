using SplitNet.Edge;

namespace SplitNet.LoadTest;

/// <summary>What a load run measured over its measured window (warm-up excluded).</summary>
/// <param name="Seconds">Length of the measured window.</param>
/// <param name="Sent">Frames sent in the window.</param>
/// <param name="Statuses">Answers in the window by gRPC status name (OK, ResourceExhausted, …).</param>
/// <param name="Throughput">OK answers per second.</param>
/// <param name="Latency">Client-side latency of OK answers, send to answer, in ms.</param>
/// <param name="RejectionLatency">Client-side latency of RESOURCE_EXHAUSTED answers, in ms.</param>
/// <param name="WithinDeadline">Share of OK answers that arrived within the frame timeout (1 when there is none).</param>
/// <param name="ServerLatency">The server's own time on OK answers (arrival to answer, as it reports), in ms.</param>
/// <param name="ServerRejectionLatency">The server's own time on RESOURCE_EXHAUSTED answers, in ms.</param>
/// <param name="ServerWithinDeadline">Share of OK answers whose server time was within the frame timeout.</param>
/// <param name="Unanswered">Frames sent in the window with no answer when the run ended.</param>
/// <param name="Goodput">OK answers within the frame timeout per second (all OK answers without one).</param>
/// <param name="GoodPerSecond">Those answers by the whole second of the window in which their frame was sent.</param>
public sealed record LoadResult(
    double Seconds,
    long Sent,
    IReadOnlyDictionary<string, long> Statuses,
    double Throughput,
    LatencySummary Latency,
    LatencySummary RejectionLatency,
    double WithinDeadline,
    LatencySummary ServerLatency,
    LatencySummary ServerRejectionLatency,
    double ServerWithinDeadline,
    long Unanswered,
    double Goodput,
    IReadOnlyList<long> GoodPerSecond)
{
    public long Count(string status) => Statuses.GetValueOrDefault(status);
}
