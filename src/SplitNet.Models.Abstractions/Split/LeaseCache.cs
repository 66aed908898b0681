namespace SplitNet.Models.Split;

/// <summary>
/// Disposable values opened once per key and held by leases: every level of a variable-rate model
/// leases the one student or graph of its side, and the value is disposed with the last lease.
/// Thread-safe.
/// </summary>
public sealed class LeaseCache<TKey, TValue>
    where TKey : notnull
    where TValue : IDisposable
{
    private readonly Dictionary<TKey, Lease.Entry> _open = [];

    /// <summary>Values open now (held by at least one lease).</summary>
    public int Count
    {
        get
        {
            lock (_open)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>A lease on <paramref name="key"/>'s value, opened with <paramref name="open"/> if no lease holds it; a failed open leaves nothing behind.</summary>
    public Lease Acquire(TKey key, Func<TKey, TValue> open)
    {
        ArgumentNullException.ThrowIfNull(open);
        lock (_open)
        {
            if (!_open.TryGetValue(key, out var entry))
            {
                entry = new Lease.Entry(open(key));
                _open.Add(key, entry);
            }
            entry.Leases++;
            return new Lease(this, key, entry);
        }
    }

    /// <summary>One holder's claim on a value; disposing it twice releases once.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly LeaseCache<TKey, TValue> _cache;
        private readonly TKey _key;
        private readonly Entry _entry;
        private bool _released;

        internal Lease(LeaseCache<TKey, TValue> cache, TKey key, Entry entry) => (_cache, _key, _entry) = (cache, key, entry);

        public TValue Value => _entry.Value;

        public void Dispose()
        {
            lock (_cache._open)
            {
                if (_released)
                {
                    return;
                }
                _released = true;
                if (--_entry.Leases > 0)
                {
                    return;
                }
                _cache._open.Remove(_key);
            }
            _entry.Value.Dispose();
        }

        internal sealed class Entry(TValue value)
        {
            public TValue Value { get; } = value;
            public int Leases { get; set; }
        }
    }
}
