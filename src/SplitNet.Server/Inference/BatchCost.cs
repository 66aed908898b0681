namespace SplitNet.Server.Inference;

/// <summary>
/// The measured cost of the last <see cref="Window"/> executed batches, read at their 75th
/// percentile: one stalled batch (a full collection, a neighbour taking the core) cannot move it,
/// a lasting slow-down moves it within a quarter of the window. Not thread-safe: the queue's lock
/// guards it.
/// </summary>
internal sealed class BatchCost
{
    public const int Window = 32;

    private readonly long[] _batch = new long[Window];
    private readonly long[] _frame = new long[Window];
    private readonly long[] _sorted = new long[Window];
    private int _count;
    private int _next;

    /// <summary>Ticks one batch takes; 0 before any batch ran.</summary>
    public long Batch { get; private set; }

    /// <summary>Ticks each frame of a batch adds; 0 before any batch ran.</summary>
    public long Frame { get; private set; }

    public void Record(int batchSize, long ticks)
    {
        _batch[_next] = ticks;
        _frame[_next] = ticks / batchSize;
        _next = (_next + 1) % Window;
        _count = Math.Min(_count + 1, Window);
        Batch = UpperQuartile(_batch);
        Frame = UpperQuartile(_frame);
    }

    private long UpperQuartile(long[] values)
    {
        var sorted = _sorted.AsSpan(0, _count);
        values.AsSpan(0, _count).CopyTo(sorted);
        sorted.Sort();
        return sorted[3 * (_count - 1) / 4];
    }
}
