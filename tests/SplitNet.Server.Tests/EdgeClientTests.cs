using System.Diagnostics;
using SplitNet.Codec;
using SplitNet.Edge;
using SplitNet.Edge.Resilience;
using SplitNet.Models.Bundles;
using SplitNet.Models.Teacher;

namespace SplitNet.Server.Tests;

public sealed class EdgeClientTests : IDisposable
{
    private readonly TeacherNet _teacher;
    private readonly TeacherManifest _manifest;
    private readonly EdgeHead _head;

    public EdgeClientTests()
    {
        (_teacher, _manifest) = TeacherBundle.Load(ServerFixture.TeacherDirectory);
        _head = LocalTeacher.Head(_teacher, _manifest, TeacherStage.Stage2, CodecId.Affine8Lz4);
    }

    private EncodedFrame Frame(int seed) => new(_head.Encode(Enumerable.Range(0, 784).Select(i => (byte)(i * seed % 251)).ToArray()), 0);

    private static EdgeClientOptions Options(params string[] urls) => new() { Endpoints = [.. urls.Select(u => new Uri(u))], Window = 8 };

    [Fact]
    public async Task StreamThatBreaksAndDuplicates_EveryFrameEndsOnceWithItsOwnAnswer()
    {
        await using var server = await FlakyServer.StartAsync();
        // A lenient breaker, budget and retry count: this test is about re-sending, not about giving up.
        await using var client = new EdgeClient(Options(server.Url) with
        {
            BreakerMinimumThroughput = 10_000,
            FrameDeadline = TimeSpan.FromSeconds(20),
            MaxRetries = 100,
        }, open: null);
        var frame = new EncodedFrame([1, 2, 3], 0);

        var answers = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => client.InferAsync((ulong)i, frame)));

        Assert.Equal(Enumerable.Range(0, 60).Select(i => (ulong)i), answers.Select(a => a.FrameId));
        Assert.All(answers, a => Assert.Equal(AnswerSource.Server, a.Source));
        Assert.All(answers, a => Assert.Equal((int)(a.FrameId % 10), a.ClassId));
        Assert.True(client.Reconnects >= 60 / FlakyServer.BreakAfter - 1, $"{client.Reconnects} reconnects");
        Assert.True(client.Duplicates > 0);
        Assert.True(client.Retries > 0);
    }

    [Fact]
    public async Task TwoServers_OneStoppedMidRun_NoFrameIsLostOrAnsweredTwice()
    {
        var first = await TestServer.StartAsync(o => o.Models = [ServerFixture.TeacherDirectory]);
        await using var second = await TestServer.StartAsync(o => o.Models = [ServerFixture.TeacherDirectory]);
        await using var client = new EdgeClient(Options(first.Url, second.Url) with { FrameDeadline = TimeSpan.FromSeconds(20) }, open: null);
        var frames = Enumerable.Range(0, 120).Select(i => Frame(i + 1)).ToArray();
        var expected = frames.Select(f => LocalTeacher.ArgMax(LocalTeacher.ProbabilitiesFromPayload(_teacher, f.Payload))).ToArray();

        var answers = new Task<EdgeAnswer>[frames.Length];
        Task? stopping = null;
        for (int i = 0; i < frames.Length; i++)
        {
            answers[i] = client.InferAsync((ulong)i, frames[i]);
            if (i == 40)
            {
                stopping = first.DisposeAsync().AsTask();
            }
            await Task.Delay(3);
        }
        var results = await Task.WhenAll(answers);
        await stopping!;

        Assert.Equal(frames.Length, results.Select(a => a.FrameId).Distinct().Count());
        Assert.All(results, a => Assert.Equal(AnswerSource.Server, a.Source));
        Assert.All(results, a => Assert.Equal(expected[a.FrameId], a.ClassId));
        Assert.Equal(new Uri(second.Url), results[^1].Endpoint);
        Assert.True(client.Failovers >= 1);
    }

    [Fact]
    public async Task NoServerListening_CircuitOpensAndFramesAreAnsweredLocallyMarkedDegraded()
    {
        var url = $"http://127.0.0.1:{ServerFixture.FreePort()}";
        await using var client = new EdgeClient(Options(url) with { FrameDeadline = TimeSpan.FromSeconds(3) }, open: null);
        float[] local = [0.05f, 0.05f, 0.6f, 0.05f, 0.05f, 0.05f, 0.05f, 0.05f, 0.03f, 0.02f];

        var answers = new List<EdgeAnswer>();
        for (int i = 0; i < 6; i++)
        {
            answers.Add(await client.InferAsync((ulong)i, new EncodedFrame([1], 0), local));
        }

        Assert.All(answers, a => Assert.Equal(AnswerSource.LocalFallback, a.Source));
        Assert.All(answers, a => Assert.True(a.Degraded));
        Assert.All(answers, a => Assert.Equal(2, a.ClassId));
        Assert.True(client.AllCircuitsOpen);
        var clock = Stopwatch.StartNew();
        await client.InferAsync(99, new EncodedFrame([1], 0), local);
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(500), "with the circuit open a frame is answered locally at once");
    }

    [Fact]
    public async Task ServerSlowerThanTheFrameDeadline_FrameEndsAsAnExplicitDeadlineFailure()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Models = [ServerFixture.TeacherDirectory];
            o.MaxBatchSize = 64;
            o.MaxQueueDelayMicroseconds = 3_000_000;
        });
        await using var client = new EdgeClient(Options(server.Url) with { FrameDeadline = TimeSpan.FromMilliseconds(200) }, open: null);

        var clock = Stopwatch.StartNew();
        var answer = await client.InferAsync(1, Frame(1));

        Assert.False(answer.Succeeded);
        Assert.Equal(AnswerSource.None, answer.Source);
        Assert.Matches("deadline|DeadlineExceeded", answer.Failure);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task ManyFramesAtOnce_InFlightNeverExceedsTheWindow()
    {
        await using var server = await TestServer.StartAsync(o => o.Models = [ServerFixture.TeacherDirectory]);
        await using var client = new EdgeClient(Options(server.Url) with { Window = 5, FrameDeadline = TimeSpan.FromSeconds(10) }, open: null);
        var frame = Frame(3);

        var answers = await Task.WhenAll(Enumerable.Range(0, 80).Select(i => client.InferAsync((ulong)i, frame)));

        Assert.All(answers, a => Assert.True(a.Succeeded, a.Failure));
        Assert.InRange(client.MaxInFlight, 1, 5);
    }

    public void Dispose() => _teacher.Dispose();
}
