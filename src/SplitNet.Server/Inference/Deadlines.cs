using System.Diagnostics;
using Grpc.Core;

namespace SplitNet.Server.Inference;

/// <summary>Turns a call's deadline and a frame's time budget into one <see cref="Stopwatch"/> timestamp.</summary>
internal static class Deadlines
{
    public static long For(ServerCallContext context, long timeoutMicros)
    {
        long now = Stopwatch.GetTimestamp();
        long deadline = InferenceJob.NoDeadline;
        if (context.Deadline < DateTime.MaxValue)
        {
            var left = context.Deadline - DateTime.UtcNow;
            deadline = now + (long)(Math.Max(0, left.TotalSeconds) * Stopwatch.Frequency);
        }
        if (timeoutMicros > 0)
        {
            deadline = Math.Min(deadline, now + timeoutMicros * Stopwatch.Frequency / 1_000_000);
        }
        return deadline;
    }
}
