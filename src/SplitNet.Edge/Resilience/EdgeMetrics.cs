using System.Diagnostics.Metrics;

namespace SplitNet.Edge.Resilience;

/// <summary>
/// The edge's OpenTelemetry metrics (meter <c>SplitNet.Edge</c>): frames by who answered,
/// bytes sent, rate level, retries, failovers, local answers and latency. Also keeps the totals
/// the runner's live summary line shows.
/// </summary>
public sealed class EdgeMetrics : IDisposable
{
    public const string MeterName = "SplitNet.Edge";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _frames;
    private readonly Counter<long> _bytes;
    private readonly Histogram<int> _level;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _failovers;
    private readonly Histogram<double> _latency;
    private long _framesTotal, _bytesTotal, _retriesTotal, _failoversTotal, _local, _failed;
    private int _lastLevel;

    public EdgeMetrics()
    {
        _frames = _meter.CreateCounter<long>("splitnet.edge.frames", "{frame}", "Frames ended, by who answered (server, early_exit, local_fallback, none).");
        _bytes = _meter.CreateCounter<long>("splitnet.edge.sent", "By", "Payload bytes sent to servers.");
        _level = _meter.CreateHistogram<int>("splitnet.edge.rate_level", "{level}", "Rate level frames were coded at.");
        _retries = _meter.CreateCounter<long>("splitnet.edge.retries", "{retry}", "Frames re-sent after a broken stream or a refusal.");
        _failovers = _meter.CreateCounter<long>("splitnet.edge.failovers", "{failover}", "Times the preferred server changed.");
        _latency = _meter.CreateHistogram("splitnet.edge.latency", "s", "From the frame's capture to its answer.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2] });
    }

    public long Frames => Interlocked.Read(ref _framesTotal);
    public long BytesSent => Interlocked.Read(ref _bytesTotal);
    public long Retries => Interlocked.Read(ref _retriesTotal);
    public long Failovers => Interlocked.Read(ref _failoversTotal);
    public long LocalAnswers => Interlocked.Read(ref _local);
    public long Failed => Interlocked.Read(ref _failed);
    public int LastRateLevel => Volatile.Read(ref _lastLevel);

    public void Sent(int bytes, uint level)
    {
        Interlocked.Add(ref _bytesTotal, bytes);
        Volatile.Write(ref _lastLevel, (int)level);
        _bytes.Add(bytes);
        _level.Record((int)level);
    }

    public void Ended(EdgeAnswer answer, TimeSpan latency)
    {
        Interlocked.Increment(ref _framesTotal);
        if (answer.Source is AnswerSource.EarlyExit or AnswerSource.LocalFallback)
        {
            Interlocked.Increment(ref _local);
        }
        if (!answer.Succeeded)
        {
            Interlocked.Increment(ref _failed);
        }
        _frames.Add(1, new KeyValuePair<string, object?>("source", answer.Source switch
        {
            AnswerSource.Server => "server",
            AnswerSource.EarlyExit => "early_exit",
            AnswerSource.LocalFallback => "local_fallback",
            _ => "none",
        }));
        _latency.Record(latency.TotalSeconds);
    }

    internal void Retried()
    {
        Interlocked.Increment(ref _retriesTotal);
        _retries.Add(1);
    }

    internal void FailedOver()
    {
        Interlocked.Increment(ref _failoversTotal);
        _failovers.Add(1);
    }

    /// <summary>One line for a terminal: frames, bytes per frame, level, retries, failovers, local answers.</summary>
    public string Summary() =>
        $"frames {Frames}  sent {(Frames == 0 ? 0 : (double)BytesSent / Frames):F1} B/frame  level {LastRateLevel}  retries {Retries}  failovers {Failovers}  local {LocalAnswers}  failed {Failed}";

    public void Dispose() => _meter.Dispose();
}
