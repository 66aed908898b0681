using Grpc.Core;

namespace SplitNet.Server.Inference;

/// <summary>Turns a call's deadline and a frame's time budget into one timestamp of the server's clock.</summary>
internal sealed class Deadlines(TimeProvider clock)
{
    public long For(ServerCallContext context, long timeoutMicros)
    {
        long now = clock.GetTimestamp();
        long deadline = InferenceJob.NoDeadline;
        if (context.Deadline < DateTime.MaxValue)
        {
            var left = context.Deadline - clock.GetUtcNow().UtcDateTime;
            deadline = now + (long)(Math.Max(0, left.TotalSeconds) * clock.TimestampFrequency);
        }
        if (timeoutMicros > 0)
        {
            deadline = Math.Min(deadline, now + timeoutMicros * clock.TimestampFrequency / 1_000_000);
        }
        return deadline;
    }
}
