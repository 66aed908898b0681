namespace SplitNet.Server.Telemetry;

/// <summary>
/// Cumulative counts and durations of one model version, in the shape of Triton's statistics
/// extension: requests that succeeded or failed, time queued, time computing, and executions by
/// batch size.
/// </summary>
internal sealed class ModelStatistics
{
    private readonly object _gate = new();
    private readonly SortedDictionary<int, Duration> _batches = [];

    public readonly record struct Duration(long Count, TimeSpan Total)
    {
        public Duration Add(TimeSpan elapsed, long count = 1) => new(Count + count, Total + elapsed);
    }

    public Duration Success { get; private set; }
    public Duration Failure { get; private set; }
    public Duration Queue { get; private set; }
    public Duration Compute { get; private set; }
    public long InferenceCount { get; private set; }
    public long ExecutionCount { get; private set; }
    public DateTimeOffset? LastInference { get; private set; }

    public void Answered(bool ok, TimeSpan elapsed)
    {
        lock (_gate)
        {
            if (ok)
            {
                Success = Success.Add(elapsed);
            }
            else
            {
                Failure = Failure.Add(elapsed);
            }
        }
    }

    public void Executed(int batchSize, TimeSpan queued, TimeSpan compute)
    {
        lock (_gate)
        {
            Queue = Queue.Add(queued, batchSize);
            Compute = Compute.Add(compute * batchSize, batchSize);
            InferenceCount += batchSize;
            ExecutionCount++;
            LastInference = DateTimeOffset.UtcNow;
            _batches[batchSize] = _batches.GetValueOrDefault(batchSize).Add(compute);
        }
    }

    /// <summary>Executions and compute time by batch size.</summary>
    public IReadOnlyList<(int BatchSize, Duration Compute)> Batches()
    {
        lock (_gate)
        {
            return [.. _batches.Select(b => (b.Key, b.Value))];
        }
    }
}
