using Grpc.Core;

namespace SplitNet.Server.Inference;

/// <summary>
/// Turns a call's deadline and a frame's time budget into one timestamp of the server's clock.
/// A budget too long to express saturates to "no deadline" instead of wrapping into the past.
/// </summary>
internal sealed class Deadlines(TimeProvider clock)
{
    /// <param name="timeoutMicros">The frame's own budget in microseconds; 0 means none. Never negative.</param>
    public long For(ServerCallContext context, long timeoutMicros)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timeoutMicros);
        long now = clock.GetTimestamp();
        long deadline = InferenceJob.NoDeadline;
        if (context.Deadline < DateTime.MaxValue)
        {
            deadline = After(now, (context.Deadline - clock.GetUtcNow().UtcDateTime).TotalSeconds);
        }
        if (timeoutMicros > 0)
        {
            deadline = Math.Min(deadline, After(now, timeoutMicros / 1e6));
        }
        return deadline;
    }

    private long After(long now, double seconds)
    {
        double ticks = Math.Max(0, seconds) * clock.TimestampFrequency;
        return ticks >= InferenceJob.NoDeadline - now ? InferenceJob.NoDeadline : now + (long)ticks;
    }
}
