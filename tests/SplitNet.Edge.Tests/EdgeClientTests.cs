using Microsoft.Extensions.Time.Testing;
using SplitNet.Codec;
using SplitNet.Edge.Resilience;
using SplitNet.Models.Bundles;
using SplitNet.Models.Teacher;
using SplitNet.Server.Tests;

namespace SplitNet.Edge.Tests;

public sealed class EdgeClientTests : FunctionalTest
{
    private readonly TeacherNet _teacher;
    private readonly TeacherManifest _manifest;
    private readonly EdgeHead _head;
    private readonly CapturingLoggerProvider _edgeLogs = new();

    public EdgeClientTests()
    {
        (_teacher, _manifest) = TeacherBundle.Load(ServerFixture.TeacherDirectory);
        _head = LocalTeacher.Head(_teacher, _manifest, TeacherStage.Stage2, CodecId.Affine8Lz4);
        Errors.Watch(_edgeLogs);
    }

    private EncodedFrame Frame(int seed) => new(_head.Encode(Enumerable.Range(0, 784).Select(i => (byte)(i * seed % 251)).ToArray()), 0);

    private static EdgeClientOptions Options(params string[] urls) => new() { Endpoints = [.. urls.Select(u => new Uri(u))], Window = 8 };

    private EdgeClient Client(EdgeClientOptions options, TimeProvider? clock = null) =>
        new(options, open: null, logger: _edgeLogs.CreateLogger("SplitNet.Edge"), clock: clock);

    private IEnumerable<LogEntry> Events(string name) => _edgeLogs.Entries.Where(e => e.EventId.Name == name);

    /// <summary>Moves <paramref name="clock"/> on in small steps until <paramref name="frame"/> ends: retry delays pass without real waiting.</summary>
    private static Task<EdgeAnswer> DriveAsync(FakeTimeProvider clock, Task<EdgeAnswer> frame)
    {
        return Loop().WithTimeout();

        async Task<EdgeAnswer> Loop()
        {
            while (!frame.IsCompleted)
            {
                clock.Advance(TimeSpan.FromMilliseconds(10));
                await Task.WhenAny(frame, Task.Delay(5));
            }
            return await frame;
        }
    }

    [Fact]
    public async Task StreamThatBreaksAndDuplicates_EveryFrameEndsOnceWithItsOwnAnswer()
    {
        await using var server = await FlakyServer.StartAsync();
        Errors.Watch(server.Logs);
        // A lenient breaker, budget and retry count: this test is about re-sending, not about giving up.
        await using var client = Client(Options(server.Url) with
        {
            BreakerMinimumThroughput = 10_000,
            FrameDeadline = TimeSpan.FromSeconds(20),
            MaxRetries = 100,
        });
        var frame = new EncodedFrame([1, 2, 3], 0);

        var answers = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => client.InferAsync((ulong)i, frame))).WithTimeout();

        Assert.Equal(Enumerable.Range(0, 60).Select(i => (ulong)i), answers.Select(a => a.FrameId));
        Assert.All(answers, a => Assert.Equal(AnswerSource.Server, a.Source));
        Assert.All(answers, a => Assert.Equal((int)(a.FrameId % 10), a.ClassId));
        Assert.True(client.Reconnects >= 60 / FlakyServer.BreakAfter - 1, $"{client.Reconnects} reconnects");
        Assert.Equal(client.Reconnects, Events("Reconnected").Count());
        Assert.True(client.Duplicates > 0);
        Assert.True(client.Retries > 0);
    }

    [Fact]
    public async Task FirstServerDown_FrameFailsOverToTheSecond_AndTheFailoverIsLogged()
    {
        await using var server = await FlakyServer.StartAsync();
        Errors.Watch(server.Logs);
        var down = new Uri($"http://127.0.0.1:{ServerFixture.FreePort()}");
        // A lenient budget: this test is about where the frame goes, not how fast.
        await using var client = Client(Options(down.ToString(), server.Url) with { FrameDeadline = TimeSpan.FromSeconds(20) });

        var answer = await client.InferAsync(1, new EncodedFrame([1, 2, 3], 0)).WithTimeout();

        Assert.True(answer.Succeeded, answer.Failure);
        Assert.Equal(AnswerSource.Server, answer.Source);
        Assert.Equal(new Uri(server.Url), answer.Endpoint);
        var failover = Assert.Single(Events("FailedOver"));
        Assert.Equal(1, failover.EventId.Id);
        Assert.Contains(down.ToString(), failover.Message);
        Assert.Equal(1, client.Failovers);
    }

    [Fact]
    public async Task TwoServers_OneStoppedMidRun_NoFrameIsLostOrAnsweredTwice()
    {
        var first = await StartServerAsync(o => o.Models = [ServerFixture.TeacherDirectory]);
        await using var second = await StartServerAsync(o => o.Models = [ServerFixture.TeacherDirectory]);
        await using var client = Client(Options(first.Url, second.Url) with { FrameDeadline = TimeSpan.FromSeconds(20) });
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
        var results = await Task.WhenAll(answers).WithTimeout();
        await stopping!.WithTimeout();

        Assert.Equal(frames.Length, results.Select(a => a.FrameId).Distinct().Count());
        Assert.All(results, a => Assert.Equal(AnswerSource.Server, a.Source));
        Assert.All(results, a => Assert.Equal(expected[a.FrameId], a.ClassId));
        Assert.Equal(new Uri(second.Url), results[^1].Endpoint);
        Assert.True(client.Failovers >= 1);
        Assert.NotEmpty(Events("FailedOver"));
    }

    [Fact]
    public async Task NoServerListening_CircuitOpensFramesAreAnsweredLocallyAndAfterTheBreakOneTrialGoesOut()
    {
        var clock = new FakeTimeProvider();
        var url = $"http://127.0.0.1:{ServerFixture.FreePort()}";
        var breakDuration = TimeSpan.FromSeconds(1);
        await using var client = Client(Options(url) with { FrameDeadline = TimeSpan.FromSeconds(3), BreakDuration = breakDuration }, clock);
        float[] local = [0.05f, 0.05f, 0.6f, 0.05f, 0.05f, 0.05f, 0.05f, 0.05f, 0.03f, 0.02f];

        var answers = new List<EdgeAnswer>();
        for (int i = 0; i < 6; i++)
        {
            answers.Add(await DriveAsync(clock, client.InferAsync((ulong)i, new EncodedFrame([1], 0), local)));
        }

        Assert.All(answers, a => Assert.Equal(AnswerSource.LocalFallback, a.Source));
        Assert.All(answers, a => Assert.True(a.Degraded));
        Assert.All(answers, a => Assert.Equal(2, a.ClassId));
        Assert.True(client.AllCircuitsOpen);
        Assert.Single(Events("CircuitOpened"));

        // The clock stands still now: a frame that tried the server and waited to retry would not end.
        var whileOpen = await client.InferAsync(98, new EncodedFrame([1], 0), local).WithTimeout();
        Assert.Equal(AnswerSource.LocalFallback, whileOpen.Source);
        Assert.Empty(Events("CircuitHalfOpened"));

        clock.Advance(breakDuration);
        var trial = await DriveAsync(clock, client.InferAsync(99, new EncodedFrame([1], 0), local));

        Assert.Equal(AnswerSource.LocalFallback, trial.Source);
        Assert.Single(Events("CircuitHalfOpened"));
        Assert.Equal(2, Events("CircuitOpened").Count());
        Assert.True(client.AllCircuitsOpen);
    }

    [Fact]
    public async Task ServerSlowerThanTheFrameDeadline_FrameEndsAsAnExplicitDeadlineFailureWhenTheDeadlinePasses()
    {
        var clock = new FakeTimeProvider();
        await using var server = await StartServerAsync(o =>
        {
            o.Models = [ServerFixture.TeacherDirectory];
            o.MaxBatchSize = 64;
            o.MaxQueueDelayMicroseconds = 10_000_000;
        });
        var deadline = TimeSpan.FromSeconds(5);
        await using var client = Client(Options(server.Url) with { FrameDeadline = deadline }, clock);

        var answering = client.InferAsync(1, Frame(1));
        clock.Advance(deadline - TimeSpan.FromMilliseconds(1));
        await Task.Delay(100);
        Assert.False(answering.IsCompleted, "the frame is given up only when its deadline passes");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var answer = await answering.WithTimeout();

        Assert.False(answer.Succeeded);
        Assert.Equal(AnswerSource.None, answer.Source);
        Assert.Equal("deadline of 5000 ms passed", answer.Failure);
    }

    [Fact]
    public async Task ManyFramesAtOnce_InFlightNeverExceedsTheWindow()
    {
        await using var server = await StartServerAsync(o => o.Models = [ServerFixture.TeacherDirectory]);
        await using var client = Client(Options(server.Url) with { Window = 5, FrameDeadline = TimeSpan.FromSeconds(10) });
        var frame = Frame(3);

        var answers = await Task.WhenAll(Enumerable.Range(0, 80).Select(i => client.InferAsync((ulong)i, frame))).WithTimeout();

        Assert.All(answers, a => Assert.True(a.Succeeded, a.Failure));
        Assert.InRange(client.MaxInFlight, 1, 5);
    }

    public override void Dispose()
    {
        _teacher.Dispose();
        base.Dispose();
    }
}
