namespace SplitNet.LoadTest;

/// <summary>How open-loop frames arrive: evenly spaced, or as a Poisson process (exponential gaps) of the same mean rate.</summary>
public enum Arrivals
{
    Constant,
    Poisson,
}

/// <summary>
/// The send times of one open-loop stream, in seconds from its start. The harness measures each
/// frame's latency from its scheduled time, not from when it actually went out, so a server (or a
/// window) that holds the sender back is charged for the wait: no coordinated omission.
/// </summary>
public sealed class ArrivalSchedule(double meanInterval, Arrivals arrivals, Random random)
{
    private double _at;

    /// <summary>The next frame's scheduled time.</summary>
    public double Next()
    {
        var scheduled = _at;
        _at += arrivals == Arrivals.Constant ? meanInterval : -Math.Log(1 - random.NextDouble()) * meanInterval;
        return scheduled;
    }
}
