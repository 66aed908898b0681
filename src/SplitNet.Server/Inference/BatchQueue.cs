using System.Diagnostics;

namespace SplitNet.Server.Inference;

/// <summary>
/// The dynamic batcher's queue: one FIFO per target (model version × rate level or split point)
/// under one bound on everything pending. A worker takes the oldest target's jobs as a batch once
/// the batch is full or its first job has waited the maximum queue delay; expired or cancelled
/// jobs are handed back to be dropped, never computed.
/// </summary>
internal sealed class BatchQueue(int capacity, int maxBatchSize, TimeSpan maxQueueDelay)
{
    private readonly object _gate = new();
    private readonly Dictionary<IInferenceTarget, Queue<InferenceJob>> _queues = new(ReferenceEqualityComparer.Instance);
    private readonly long _maxDelay = (long)(maxQueueDelay.TotalSeconds * Stopwatch.Frequency);
    private int _pending;
    private int _peak;
    private bool _completed;

    public int Capacity { get; } = capacity;
    public int MaxBatchSize { get; } = maxBatchSize;

    /// <summary>Jobs waiting for a worker.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>The most jobs ever waiting at once.</summary>
    public int Peak => Volatile.Read(ref _peak);

    /// <summary>Queues a job; false at once when the queue is full or closed.</summary>
    public bool TryEnqueue(InferenceJob job, bool bypassCapacity = false)
    {
        lock (_gate)
        {
            if (_completed || (_pending >= Capacity && !bypassCapacity))
            {
                return false;
            }
            if (!_queues.TryGetValue(job.Target, out var queue))
            {
                _queues[job.Target] = queue = new Queue<InferenceJob>();
            }
            job.Enqueued = Stopwatch.GetTimestamp();
            queue.Enqueue(job);
            _pending++;
            _peak = Math.Max(_peak, _pending);
            Monitor.Pulse(_gate);
            return true;
        }
    }

    /// <summary>
    /// Blocks until a batch is due, then moves it into <paramref name="batch"/> (all one target) and
    /// any expired jobs met on the way into <paramref name="expired"/>. False once the queue is
    /// completed and empty.
    /// </summary>
    public bool TryTake(List<InferenceJob> batch, List<InferenceJob> expired)
    {
        batch.Clear();
        expired.Clear();
        lock (_gate)
        {
            while (true)
            {
                long now = Stopwatch.GetTimestamp();
                var (due, wait) = NextDue(now);
                if (due is not null)
                {
                    while (batch.Count < MaxBatchSize && due.TryDequeue(out var job))
                    {
                        _pending--;
                        (job.IsExpired(now) ? expired : batch).Add(job);
                        job.Started = now;
                    }
                    if (due.Count == 0)
                    {
                        _queues.Remove(batch.Count > 0 ? batch[0].Target : expired[0].Target);
                    }
                    return true;
                }
                if (_completed && _pending == 0)
                {
                    return false;
                }
                Monitor.Wait(_gate, wait);
            }
        }
    }

    /// <summary>Refuses new jobs; workers finish what is queued and then stop.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
            Monitor.PulseAll(_gate);
        }
    }

    // The target whose first job has waited longest among those with a full batch or an elapsed
    // delay; otherwise how long until the earliest delay elapses.
    private (Queue<InferenceJob>? Due, TimeSpan Wait) NextDue(long now)
    {
        Queue<InferenceJob>? due = null;
        long oldest = long.MaxValue;
        long firstDue = long.MaxValue;
        foreach (var queue in _queues.Values)
        {
            var head = queue.Peek();
            bool ready = queue.Count >= MaxBatchSize || now - head.Enqueued >= _maxDelay || _completed || head.IsExpired(now);
            if (ready && head.Enqueued < oldest)
            {
                (due, oldest) = (queue, head.Enqueued);
            }
            firstDue = Math.Min(firstDue, head.Enqueued + _maxDelay);
        }
        if (due is not null || firstDue == long.MaxValue)
        {
            return (due, Timeout.InfiniteTimeSpan);
        }
        // Monitor waits in whole milliseconds: sub-millisecond delays round up to one tick of it.
        var wait = TimeSpan.FromSeconds((double)(firstDue - now) / Stopwatch.Frequency);
        return (null, wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait);
    }
}
