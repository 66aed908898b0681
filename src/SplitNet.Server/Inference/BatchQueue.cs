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
/// the batch is full or its first job has waited the maximum queue delay.
/// <para>
/// Admission refuses a job whose deadline the work queued ahead of it would outlast, judged from
/// the measured cost of recent batches (<see cref="BatchCost"/>), but only when work is queued
/// ahead of it. That is what keeps overload stable: a refusal needs queued work, queued work is
/// run within the queue delay, and every batch run refreshes the measurement, so no estimate, however
/// wrong, can keep refusing while the worker idles. At take time only jobs whose deadline has
/// already passed (or whose call was cancelled) are dropped uncomputed, and those a batch of the
/// usual cost would finish late, but never every job of a batch: the freshest is computed, so no
/// prediction can stop the measurements that correct it.
/// </para>
/// </summary>
internal sealed class BatchQueue(int capacity, int maxBatchSize, TimeSpan maxQueueDelay, TimeProvider clock, int workers = 1, int headroomPercent = 0)
{
    private readonly object _gate = new();
    private readonly Dictionary<BatchKey, Queue<InferenceJob>> _queues = [];
    private readonly long _maxDelay = (long)(maxQueueDelay.TotalSeconds * clock.TimestampFrequency);
    private readonly long _oneMillisecond = clock.TimestampFrequency / 1000;
    private int _pending;
    private int _peak;
    private bool _completed;
    private readonly BatchCost _cost = new();
    private readonly List<InferenceJob> _late = [];

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
            long now = clock.GetTimestamp();
            var admission = job.IsExpired(now) ? Admission.Expired : Admit(job.Deadline, now, bypassCapacity);
            if (admission != Admission.Queued)
            {
                return admission;
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

    /// <summary>
    /// What <see cref="TryEnqueue"/> would say right now of <paramref name="frames"/> jobs with this
    /// deadline, so frames about to be refused are refused before they are decoded, and a
    /// request's frames are refused together rather than some computed for a request that fails.
    /// They may still be refused when queued.
    /// </summary>
    public Admission Check(long deadline, int frames = 1)
    {
        lock (_gate)
        {
            return Admit(deadline, clock.GetTimestamp(), bypassCapacity: false, frames);
        }
    }

    private Admission Admit(long deadline, long now, bool bypassCapacity, int frames = 1)
    {
        if (_completed)
        {
            return Admission.Closed;
        }
        if (_pending + frames > Capacity && !bypassCapacity)
        {
            return Admission.Full;
        }
        if (now > deadline)
        {
            return Admission.Expired;
        }
        if (_pending > 0 && deadline != InferenceJob.NoDeadline && EstimatedWait(_pending + frames - 1) > (deadline - now) * (100 - headroomPercent) / 100)
        {
            return Admission.TooLate;
        }
        return Admission.Queued;
    }

    /// <summary>Feeds the cost model with one executed batch.</summary>
    public void RecordExecution(int batchSize, TimeSpan compute)
    {
        lock (_gate)
        {
            _cost.Record(batchSize, (long)(compute.TotalSeconds * clock.TimestampFrequency));
        }
    }

    /// <summary>Time until a job behind <paramref name="ahead"/> others would be answered: their share of the workers, then its own batch.</summary>
    private long EstimatedWait(int ahead) => ahead * _cost.Frame / workers + _cost.Batch;

    /// <summary>
    /// Blocks until a batch is due, then moves it into <paramref name="batch"/> (all one target) and
    /// any expired jobs met on the way into <paramref name="expired"/>. False once the queue is
    /// completed and empty.
    /// </summary>
    public bool TryTake(List<InferenceJob> batch, List<InferenceJob> expired)
    {
        lock (_gate)
        {
            while (true)
            {
                // Read before TryTakeDue reads its own: a wait from here never ends late, at worst early (and the loop looks again).
                long before = clock.GetTimestamp();
                if (TryTakeDue(batch, expired, out var wait))
                {
                    return true;
                }
                if (_completed && _queues.Count == 0)
                {
                    return false;
                }
                Wait(wait == Timeout.InfiniteTimeSpan ? long.MaxValue : before + (long)(wait.TotalSeconds * clock.TimestampFrequency));
            }
        }
    }

    /// <summary>
    /// Takes a batch if one is due now, without blocking; otherwise says how long until one may be
    /// (<see cref="Timeout.InfiniteTimeSpan"/>: not before the next job arrives).
    /// </summary>
    public bool TryTakeDue(List<InferenceJob> batch, List<InferenceJob> expired, out TimeSpan wait)
    {
        batch.Clear();
        expired.Clear();
        lock (_gate)
        {
            long now = clock.GetTimestamp();
            (var due, wait) = NextDue(now);
            if (due is null)
            {
                return false;
            }
            while (batch.Count < MaxBatchSize && due.TryDequeue(out var job))
            {
                _pending -= job.Bounded ? 1 : 0;
                job.Started = now;
                (job.IsExpired(now) ? expired : job.IsExpired(now + _cost.Batch) ? _late : batch).Add(job);
            }
            // Jobs that a batch of the usual cost would finish late are dropped too, but never all of
            // a batch: the freshest is computed, so the cost that predicted them late is measured again.
            if (batch.Count == 0 && _late.Count > 0)
            {
                batch.Add(_late[^1]);
                _late.RemoveAt(_late.Count - 1);
            }
            expired.AddRange(_late);
            _late.Clear();
            if (due.Count == 0)
            {
                _queues.Remove(batch.Count > 0 ? batch[0].Key : expired[0].Key);
            }
            return true;
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

    /// <summary>Waits (holding <c>_gate</c>) for a pulse, or until the clock reaches <paramref name="due"/> (long.MaxValue: no time limit).</summary>
    private void Wait(long due)
    {
        if (due == long.MaxValue)
        {
            Monitor.Wait(_gate);
            return;
        }
        // The clock's own timer, so a queue on a test's clock wakes when that clock is moved. A
        // timer is due relative to when it is made: one made while another thread moved the clock
        // would be due late, so it is made again.
        while (true)
        {
            long before = clock.GetTimestamp();
            if (before >= due)
            {
                return;
            }
            var remaining = TimeSpan.FromSeconds((double)(due - before) / clock.TimestampFrequency);
            using var timer = clock.CreateTimer(static gate =>
            {
                lock (gate!)
                {
                    Monitor.PulseAll(gate);
                }
            }, _gate, remaining < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : remaining, Timeout.InfiniteTimeSpan);
            if (clock.GetTimestamp() - before < _oneMillisecond)
            {
                Monitor.Wait(_gate);
                return;
            }
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
            bool ready = queue.Count >= MaxBatchSize || now - head.Enqueued >= _maxDelay || _completed || head.IsExpired(now + _cost.Batch);
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
