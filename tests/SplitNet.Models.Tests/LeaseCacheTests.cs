using SplitNet.Models.Split;

namespace SplitNet.Models.Tests;

public sealed class LeaseCacheTests
{
    private sealed class Resource(string name) : IDisposable
    {
        public string Name { get; } = name;
        public int Disposals { get; private set; }
        public void Dispose() => Disposals++;
    }

    [Fact]
    public void Acquire_OneKey_OpensOnce_AndTheLastLeaseDisposesTheValueOnce()
    {
        var cache = new LeaseCache<string, Resource>();
        int opened = 0;
        Resource Open(string key) { opened++; return new Resource(key); }

        var first = cache.Acquire("a", Open);
        var second = cache.Acquire("a", Open);
        var other = cache.Acquire("b", Open);
        Assert.Same(first.Value, second.Value);
        Assert.Equal((2, 2), (opened, cache.Count));

        first.Dispose();
        first.Dispose();
        Assert.Equal(0, second.Value.Disposals);
        second.Dispose();
        Assert.Equal(1, second.Value.Disposals);
        Assert.Equal(1, cache.Count);

        using var reopened = cache.Acquire("a", Open);
        Assert.NotSame(second.Value, reopened.Value);
        Assert.Equal(3, opened);
        other.Dispose();
    }

    [Fact]
    public void Acquire_WhenOpeningFails_LeavesNothingBehind_AndTheNextAcquireOpensAgain()
    {
        var cache = new LeaseCache<string, Resource>();

        Assert.Throws<InvalidDataException>(() => cache.Acquire("bad", _ => throw new InvalidDataException("bad file")));
        Assert.Equal(0, cache.Count);
        using var lease = cache.Acquire("bad", key => new Resource(key));
        Assert.Equal("bad", lease.Value.Name);
    }
}
