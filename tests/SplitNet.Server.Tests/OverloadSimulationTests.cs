using Microsoft.Extensions.Time.Testing;
using SplitNet.Server.Inference;
using SplitNet.Server.Serving;

namespace SplitNet.Server.Tests;

/// <summary>
/// The batcher's admission under open-loop overload, on a fake clock with a simulated cost model:
/// one worker, batches costing <c>2 ms + 0.7 ms × n</c> with ±20 % noise (≈ 1,300 frames/s at
/// batch 32), frames offered at twice that with a 100 ms deadline each. Whole simulated seconds
/// are tallied, so a collapse shows as the seconds it lasts, not as a blur in an average.
/// </summary>
public sealed class OverloadSimulationTests
{
    private const int MaxBatch = 32;
    private static readonly TimeSpan Deadline = TimeSpan.FromMilliseconds(100);
    private static TimeSpan Cost(int n) => TimeSpan.FromMilliseconds(2 + 0.7 * n);
    private static readonly double Capacity = MaxBatch / Cost(MaxBatch).TotalSeconds;

    private sealed record Second(int Offered, int Admitted, int Refused, int Good, int Late);

    /// <summary>Runs the queue for <paramref name="seconds"/> simulated seconds; <paramref name="stall"/> is the cost of the first batch started after it begins.</summary>
    private static Second[] Simulate(double seconds, double? stallAt = null, TimeSpan stall = default, int seed = 7)
    {
        var clock = new FakeTimeProvider();
        var queue = new BatchQueue(256, MaxBatch, TimeSpan.FromMicroseconds(2000), clock, workers: 1, headroomPercent: 25);
        var target = new InferenceTarget(null!, new NullServerPart());
        var random = new Random(seed);
        long start = clock.GetTimestamp(), end = start + Ticks(TimeSpan.FromSeconds(seconds));
        long interval = Ticks(TimeSpan.FromSeconds(1 / (2 * Capacity)));
        long nextArrival = start, workerFree = start, nextTake = start, stallTick = stallAt is { } at ? start + Ticks(TimeSpan.FromSeconds(at)) : long.MaxValue;
        bool stalled = false;
        var tallies = new (int Offered, int Admitted, int Refused, int Good, int Late)[(int)Math.Ceiling(seconds)];
        List<InferenceJob> batch = [], expired = [], running = [];
        int SecondOf(long tick) => (int)((tick - start) / Ticks(TimeSpan.FromSeconds(1)));

        for (long now = start; now < end; now = Math.Min(nextArrival, Math.Max(workerFree, nextTake)))
        {
            clock.Advance(TimeSpan.FromTicks(now - clock.GetTimestamp()));
            if (now >= workerFree)
            {
                foreach (var job in running)
                {
                    ref var second = ref tallies[SecondOf(now)];
                    (now <= job.Deadline ? ref second.Good : ref second.Late)++;
                }
                running.Clear();
                if (queue.TryTakeDue(batch, expired, out var wait))
                {
                    tallies[SecondOf(now)].Late += expired.Count;
                    if (batch.Count > 0)
                    {
                        var cost = !stalled && now >= stallTick ? stall : Cost(batch.Count) * (0.8 + 0.4 * random.NextDouble());
                        stalled |= now >= stallTick;
                        queue.RecordExecution(batch.Count, cost);
                        running.AddRange(batch);
                        workerFree = now + Ticks(cost);
                    }
                    nextTake = now;
                }
                else
                {
                    nextTake = wait == Timeout.InfiniteTimeSpan ? long.MaxValue : now + Ticks(wait);
                }
            }
            if (now >= nextArrival)
            {
                ref var second = ref tallies[SecondOf(now)];
                second.Offered++;
                var admission = queue.TryEnqueue(new InferenceJob(target, [0f], 1, now + Ticks(Deadline), CancellationToken.None));
                (admission == Admission.Queued ? ref second.Admitted : ref second.Refused)++;
                nextArrival += interval;
                nextTake = Math.Min(nextTake, now);
            }
        }
        return [.. tallies.Select(t => new Second(t.Offered, t.Admitted, t.Refused, t.Good, t.Late))];
    }

    private static long Ticks(TimeSpan span) => span.Ticks;

    /// <summary>Every second but the first (the cost model starts empty) and <paramref name="except"/> keeps 80 % of capacity.</summary>
    private static void AssertGoodput(Second[] seconds, int[] except)
    {
        var short_ = Enumerable.Range(1, seconds.Length - 1).Where(i => !except.Contains(i) && seconds[i].Good < 0.8 * Capacity).ToArray();
        Assert.True(short_.Length == 0, $"under 80 % of {Capacity:F0} frames/s in seconds {string.Join(", ", short_.Select(i => $"{i}: {seconds[i]}"))}");
    }

    [Fact]
    public void TwiceCapacity_GoodputHoldsEverySecond()
    {
        var seconds = Simulate(20);

        AssertGoodput(seconds, except: []);
        Assert.True(seconds.Sum(s => s.Late) <= 0.01 * seconds.Sum(s => s.Admitted), $"{seconds.Sum(s => s.Late)} late of {seconds.Sum(s => s.Admitted)} admitted");
    }

    [Fact]
    public void TwiceCapacity_OneStalledBatch_GoodputIsBackWithinASecond()
    {
        // One 400 ms batch (a full collection, a neighbour taking the core) at 5 s: the frames
        // queued behind it are lost, but refusing must not outlive it.
        var seconds = Simulate(20, stallAt: 5, stall: TimeSpan.FromMilliseconds(400));

        AssertGoodput(seconds, except: [5]);
        Assert.True(seconds.Sum(s => s.Good) >= 0.8 * Capacity * 19, $"{seconds.Sum(s => s.Good)} good frames in 20 s");
        Assert.True(seconds.Sum(s => s.Late) <= 0.01 * seconds.Sum(s => s.Admitted), $"{seconds.Sum(s => s.Late)} late of {seconds.Sum(s => s.Admitted)} admitted");
    }
}
