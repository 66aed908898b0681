namespace SplitNet.Server.Inference;

/// <summary>Why a job was not queued.</summary>
internal enum Admission
{
    Queued,

    /// <summary>The queue holds its maximum.</summary>
    Full,

    /// <summary>The job's deadline has already passed.</summary>
    Expired,

    /// <summary>The work already queued would outlast the job's deadline.</summary>
    TooLate,

    /// <summary>The queue is closed (shutdown).</summary>
    Closed,
}

/// <summary>
/// The dynamic batcher's queue: one FIFO per batch key (target, i.e. model version × rate level or
/// split point, and padded length: see <see cref="InferenceTarget.PaddedLength"/>) under one bound
/// on everything pending. A worker takes the oldest key's jobs as a batch once
/// the batch is full or its first job has waited the maximum queue delay. Jobs that cannot finish
/// by their deadline, judged from the measured cost of recent batches, are refused at the door or
/// handed back at take time to be dropped, never computed.
/// </summary>
internal sealed class BatchQueue(int capacity, int maxBatchSize, TimeSpan maxQueueDelay, TimeProvider clock, int workers = 1, int headroomPercent = 0)
{
    private readonly object _gate = new();
    private readonly Dictionary<BatchKey, Queue<InferenceJob>> _queues = [];
    private readonly long _maxDelay = (long)(maxQueueDelay.TotalSeconds * clock.TimestampFrequency);
    private int _pending;
    private int _peak;
    private bool _completed;
    private long _batchTicks;
    private long _batchSpread;
    private long _frameTicks;
    private long _estimatedAt;

    public int Capacity { get; } = capacity;
    public int MaxBatchSize { get; } = maxBatchSize;

    /// <summary>Jobs waiting for a worker.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>The most jobs ever waiting at once.</summary>
    public int Peak => Volatile.Read(ref _peak);

    /// <summary>
    /// Queues a job, or says at once why not. Jobs that bypass the capacity (warming a newly
    /// loaded model) do not count toward it either.
    /// </summary>
    public Admission TryEnqueue(InferenceJob job, bool bypassCapacity = false)
    {
        lock (_gate)
        {
            if (_completed)
            {
                return Admission.Closed;
            }
            if (_pending >= Capacity && !bypassCapacity)
            {
                return Admission.Full;
            }
            long now = clock.GetTimestamp();
            if (job.IsExpired(now))
            {
                return Admission.Expired;
            }
            if (job.Deadline != InferenceJob.NoDeadline && EstimatedWait(_pending, now) > (job.Deadline - now) * (100 - headroomPercent) / 100)
            {
                return Admission.TooLate;
            }
            if (!_queues.TryGetValue(job.Key, out var queue))
            {
                _queues[job.Key] = queue = new Queue<InferenceJob>();
            }
            job.Enqueued = now;
            job.Bounded = !bypassCapacity;
            queue.Enqueue(job);
            if (job.Bounded)
            {
                _pending++;
                _peak = Math.Max(_peak, _pending);
            }
            Monitor.Pulse(_gate);
            return Admission.Queued;
        }
    }

    /// <summary>Feeds the cost model with one executed batch (moving averages over recent batches).</summary>
    public void RecordExecution(int batchSize, TimeSpan compute)
    {
        long ticks = (long)(compute.TotalSeconds * clock.TimestampFrequency);
        lock (_gate)
        {
            _batchSpread = _batchTicks == 0 ? 0 : (_batchSpread * 4 + Math.Abs(ticks - _batchTicks)) / 5;
            _batchTicks = _batchTicks == 0 ? ticks : (_batchTicks * 4 + ticks) / 5;
            _frameTicks = _frameTicks == 0 ? ticks / batchSize : (_frameTicks * 4 + ticks / batchSize) / 5;
            _estimatedAt = clock.GetTimestamp();
        }
    }

    /// <summary>
    /// A batch's compute time, pessimistically (recent mean plus twice its mean deviation), or 0
    /// when no batch ran in the last second: a stale estimate must not keep refusing the very
    /// work that would refresh it.
    /// </summary>
    private long BatchTicks(long now) => now - _estimatedAt < clock.TimestampFrequency ? _batchTicks + 2 * _batchSpread : 0;

    /// <summary>Time until a job behind <paramref name="ahead"/> others would be answered: their share of the workers, then its own batch.</summary>
    private long EstimatedWait(int ahead, long now) => BatchTicks(now) == 0 ? 0 : ahead * _frameTicks / workers + BatchTicks(now);

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
                long now = clock.GetTimestamp();
                var (due, wait) = NextDue(now);
                if (due is not null)
                {
                    while (batch.Count < MaxBatchSize && due.TryDequeue(out var job))
                    {
                        _pending -= job.Bounded ? 1 : 0;
                        (job.IsExpired(now + BatchTicks(now)) ? expired : batch).Add(job);
                        job.Started = now;
                    }
                    if (due.Count == 0)
                    {
                        _queues.Remove(batch.Count > 0 ? batch[0].Key : expired[0].Key);
                    }
                    return true;
                }
                if (_completed && _queues.Count == 0)
                {
                    return false;
                }
                Wait(wait);
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

    /// <summary>Waits (holding <c>_gate</c>) for a pulse, or until <paramref name="wait"/> has passed on the clock.</summary>
    private void Wait(TimeSpan wait)
    {
        if (wait == Timeout.InfiniteTimeSpan)
        {
            Monitor.Wait(_gate);
            return;
        }
        // The clock's own timer, so a queue on a test's clock wakes when that clock is moved.
        using var due = clock.CreateTimer(static gate =>
        {
            lock (gate!)
            {
                Monitor.PulseAll(gate);
            }
        }, _gate, wait, Timeout.InfiniteTimeSpan);
        Monitor.Wait(_gate);
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
            bool ready = queue.Count >= MaxBatchSize || now - head.Enqueued >= _maxDelay || _completed || head.IsExpired(now + BatchTicks(now));
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
        var wait = TimeSpan.FromSeconds((double)(firstDue - now) / clock.TimestampFrequency);
        return (null, wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait);
    }
}
