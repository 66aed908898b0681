namespace SplitNet.Server.Telemetry;

/// <summary>
/// Lets at most <c>burst</c> lines of one client-driven log event through per <c>interval</c>; the
/// rest are counted and the count rides on the next line let through. A client that fails a
/// million calls writes a few lines a second, not a million.
/// </summary>
internal sealed class LogThrottle(TimeProvider clock, int burst, TimeSpan interval)
{

    private readonly object _gate = new();
    private readonly long _interval = (long)(interval.TotalSeconds * clock.TimestampFrequency);
    private long _windowStart = long.MinValue;
    private int _passed;
    private long _suppressed;

    /// <summary>Whether to write this line; if so, <paramref name="suppressed"/> is how many were held back since the last one written.</summary>
    public bool TryPass(out long suppressed)
    {
        long now = clock.GetTimestamp();
        lock (_gate)
        {
            if (_windowStart == long.MinValue || now - _windowStart >= _interval)
            {
                (_windowStart, _passed) = (now, 0);
            }
            if (_passed < burst)
            {
                _passed++;
                (suppressed, _suppressed) = (_suppressed, 0);
                return true;
            }
            _suppressed++;
            suppressed = 0;
            return false;
        }
    }
}

/// <summary>The server's throttles, one per client-driven event: ten lines of each per second.</summary>
internal sealed class ClientLogThrottles(TimeProvider clock)
{
    public LogThrottle FrameRejected { get; } = new(clock, 10, TimeSpan.FromSeconds(1));
    public LogThrottle StreamEnded { get; } = new(clock, 10, TimeSpan.FromSeconds(1));
    public LogThrottle Unauthenticated { get; } = new(clock, 10, TimeSpan.FromSeconds(1));
}
