using Microsoft.Extensions.Time.Testing;
using SplitNet.Server.Serving;

namespace SplitNet.Server.Tests;

public sealed class ServerDrainTests
{
    [Fact]
    public async Task DrainAsync_OpenStream_FiresDrainingAndEndsWhenTheStreamEnds()
    {
        using var drain = new ServerDrain();
        var stream = drain.Enter();

        var draining = drain.DrainAsync(TimeSpan.FromSeconds(30), new FakeTimeProvider(), CancellationToken.None);

        Assert.True(drain.Draining.IsCancellationRequested);
        Assert.False(draining.IsCompleted);
        stream.Dispose();
        Assert.True(await draining.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, drain.Open);
    }

    [Fact]
    public async Task DrainAsync_StreamOutlivesTheTimeout_ReturnsFalseAtTheTimeout()
    {
        using var drain = new ServerDrain();
        var clock = new FakeTimeProvider();
        using var stream = drain.Enter();

        var draining = drain.DrainAsync(TimeSpan.FromSeconds(30), clock, CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(draining.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.False(await draining.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, drain.Open);
    }

    [Fact]
    public async Task DrainAsync_NoStream_EndsAtOnce()
    {
        using var drain = new ServerDrain();
        drain.Enter().Dispose();

        Assert.True(await drain.DrainAsync(TimeSpan.FromSeconds(30), new FakeTimeProvider(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
