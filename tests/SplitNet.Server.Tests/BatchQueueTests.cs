using Microsoft.Extensions.Time.Testing;
using SplitNet.Codec;
using SplitNet.Server.Inference;
using SplitNet.Server.Serving;

namespace SplitNet.Server.Tests;

public sealed class BatchQueueTests
{
    private readonly FakeTimeProvider _clock = new();

    private static InferenceTarget Target(LatentShape? latent = null) => new(null!, new NullServerPart(latent));

    private static InferenceJob Job(InferenceTarget target, long deadline = InferenceJob.NoDeadline, int length = 1) =>
        new(target, new float[target.Latent.Elements(length)], length, deadline, CancellationToken.None);

    private long In(TimeSpan span) => _clock.GetTimestamp() + (long)(span.TotalSeconds * _clock.TimestampFrequency);

    private BatchQueue Queue(int capacity, int maxBatchSize, TimeSpan maxQueueDelay) => new(capacity, maxBatchSize, maxQueueDelay, _clock);

    [Fact]
    public async Task TryTake_FullBatchIsTakenAtOnceAndNeverMixesTargets()
    {
        var queue = Queue(capacity: 100, maxBatchSize: 4, maxQueueDelay: TimeSpan.FromSeconds(30));
        InferenceTarget a = Target(), b = Target();
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(Admission.Queued, queue.TryEnqueue(Job(i % 2 == 0 ? a : b)));
        }
        Assert.Equal(Admission.Queued, queue.TryEnqueue(Job(a)));
        List<InferenceJob> batch = [], expired = [];

        // The clock stands still: a take that waited for the queue delay would never return.
        Assert.True(await Task.Run(() => queue.TryTake(batch, expired)).WithTimeout());

        Assert.Equal(4, batch.Count);
        Assert.All(batch, j => Assert.Same(a, j.Target));
        Assert.Equal(3, queue.Pending);
    }

    [Fact]
    public async Task TryTake_PartialBatchWaitsForTheQueueDelay()
    {
        var queue = Queue(capacity: 100, maxBatchSize: 8, maxQueueDelay: TimeSpan.FromMilliseconds(50));
        var target = Target();
        queue.TryEnqueue(Job(target));
        queue.TryEnqueue(Job(target));
        List<InferenceJob> batch = [], expired = [];

        var taking = Task.Run(() => queue.TryTake(batch, expired));
        _clock.Advance(TimeSpan.FromMilliseconds(49));
        await Task.Delay(100);
        Assert.False(taking.IsCompleted, "a partial batch is not taken before the queue delay");

        _clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.True(await taking.WithTimeout());
        Assert.Equal(2, batch.Count);
    }

    [Fact]
    public async Task TryTake_ClockMovedWhileItsTimerIsMade_StillWakesAtTheQueueDelay()
    {
        var clock = new ClockMovedOnFirstTimer(TimeSpan.FromMilliseconds(49));
        var queue = new BatchQueue(capacity: 100, maxBatchSize: 8, maxQueueDelay: TimeSpan.FromMilliseconds(50), clock);
        queue.TryEnqueue(Job(Target()));
        List<InferenceJob> batch = [], expired = [];

        // The take computes a 50 ms wait at 0 ms; its timer is made at 49 ms (another thread moved the clock).
        var taking = Task.Run(() => queue.TryTake(batch, expired));
        await clock.FirstTimerMade.Task.WithTimeout();
        await Task.Delay(50);
        clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.True(await taking.WithTimeout(TimeSpan.FromSeconds(5)));
        Assert.Single(batch);
    }

    /// <summary>A fake clock that moves by <c>step</c> just as the first timer is made, as a test thread could.</summary>
    private sealed class ClockMovedOnFirstTimer(TimeSpan step) : FakeTimeProvider
    {
        public TaskCompletionSource FirstTimerMade { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (!FirstTimerMade.Task.IsCompleted)
            {
                Advance(step);
                FirstTimerMade.SetResult();
            }
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    [Fact]
    public void TryEnqueue_BeyondCapacity_IsFullAndThePeakStaysAtTheBound()
    {
        var queue = Queue(capacity: 3, maxBatchSize: 8, maxQueueDelay: TimeSpan.Zero);
        var target = Target();
        var outcomes = Enumerable.Range(0, 5).Select(_ => queue.TryEnqueue(Job(target))).ToArray();
        Assert.Equal([Admission.Queued, Admission.Queued, Admission.Queued, Admission.Full, Admission.Full], outcomes);
        Assert.Equal(3, queue.Peak);
    }

    [Fact]
    public void TryTake_ExpiredJobsAreHandedBackNotBatched()
    {
        var queue = Queue(capacity: 10, maxBatchSize: 8, maxQueueDelay: TimeSpan.Zero);
        var target = Target();
        var late = Job(target, In(TimeSpan.FromMilliseconds(20)));
        var fine = Job(target);
        queue.TryEnqueue(late);
        queue.TryEnqueue(fine);
        _clock.Advance(TimeSpan.FromMilliseconds(40));
        List<InferenceJob> batch = [], expired = [];

        Assert.True(queue.TryTake(batch, expired));

        Assert.Equal([fine], batch);
        Assert.Equal([late], expired);
        Assert.Equal(Admission.Expired, queue.TryEnqueue(Job(target, _clock.GetTimestamp() - 1)));
    }

    [Fact]
    public void TryEnqueue_WorkAheadOutlastsTheDeadline_IsTooLateButNothingAheadIsAlwaysAdmitted()
    {
        var queue = Queue(capacity: 100, maxBatchSize: 8, maxQueueDelay: TimeSpan.FromSeconds(30));
        var target = Target();
        queue.RecordExecution(8, TimeSpan.FromMilliseconds(400));

        // Nothing queued: refusing would leave the worker idle and the estimate never refreshed.
        Assert.Equal(Admission.Queued, queue.TryEnqueue(Job(target, In(TimeSpan.FromMilliseconds(100)))));
        Assert.Equal(Admission.TooLate, queue.TryEnqueue(Job(target, In(TimeSpan.FromMilliseconds(100)))));
        Assert.Equal(Admission.Queued, queue.TryEnqueue(Job(target, In(TimeSpan.FromSeconds(10)))));
    }

    [Fact]
    public void RecordExecution_OneStalledBatchAmongFastOnes_DoesNotMakeTheQueueRefuse()
    {
        var queue = Queue(capacity: 100, maxBatchSize: 8, maxQueueDelay: TimeSpan.FromSeconds(30));
        var target = Target();
        for (int i = 0; i < 8; i++)
        {
            queue.RecordExecution(8, TimeSpan.FromMilliseconds(5));
        }
        queue.RecordExecution(8, TimeSpan.FromMilliseconds(500));
        queue.TryEnqueue(Job(target));

        Assert.Equal(Admission.Queued, queue.TryEnqueue(Job(target, In(TimeSpan.FromMilliseconds(100)))));
    }

    [Fact]
    public void Complete_WorkersDrainWhatIsQueuedThenStop()
    {
        var queue = Queue(capacity: 10, maxBatchSize: 8, maxQueueDelay: TimeSpan.FromSeconds(30));
        queue.TryEnqueue(Job(Target()));
        queue.Complete();
        List<InferenceJob> batch = [], expired = [];

        Assert.True(queue.TryTake(batch, expired));
        Assert.Single(batch);
        Assert.False(queue.TryTake(batch, expired));
        Assert.Equal(Admission.Closed, queue.TryEnqueue(Job(Target())));
    }

    [Fact]
    public void TryTake_VariableLengths_BatchTogetherOnlyWithinAPowerOfTwoBucket()
    {
        var queue = Queue(capacity: 100, maxBatchSize: 8, maxQueueDelay: TimeSpan.Zero);
        var target = Target(new LatentShape([2, 64], variableAxis: 1));
        foreach (int length in new[] { 3, 4, 5, 8, 64 })
        {
            Assert.Equal(Admission.Queued, queue.TryEnqueue(Job(target, length: length)));
        }
        var batches = new List<int[]>();
        List<InferenceJob> batch = [], expired = [];
        for (int i = 0; i < 3; i++)
        {
            Assert.True(queue.TryTake(batch, expired));
            batches.Add([.. batch.Select(j => j.Length)]);
            Assert.All(batch, j => Assert.Equal(batch[0].Key, j.Key));
        }

        Assert.Equal([[3, 4], [5, 8], [64]], batches);
        Assert.Equal([4, 8, 64], batches.Select(b => target.PaddedLength(b[0])));
        Assert.Equal(0, queue.Pending);
    }
}
