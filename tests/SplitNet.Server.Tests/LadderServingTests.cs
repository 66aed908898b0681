using Google.Protobuf;
using Grpc.Core;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Edge.Resilience;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Split;

namespace SplitNet.Server.Tests;

/// <summary>A variable-rate split model served: one student answers every level, frames at each level being prefixes of one stream.</summary>
public sealed class LadderServingTests : FunctionalTest, IAsyncLifetime
{
    private static readonly int[] Ladder = [1, 2, 3, 4];
    private readonly string _root = Directory.CreateTempSubdirectory("splitnet-ladder-").FullName;
    private TestServer _server = null!;

    private string EdgeDirectory => Path.Combine(_root, "edge");
    private string ServerDirectory => Path.Combine(_root, "server");

    public async Task InitializeAsync()
    {
        TinySplitModels.SaveLadder("test-ladder", Ladder, seed: 31, EdgeDirectory, ServerDirectory, defaultLevel: 3);
        TinySplitModels.SaveTwoLevels("test-two-levels", seed: 32, PlainEdgeDirectory, PlainServerDirectory);
        _server = await StartServerAsync(options =>
        {
            options.Models = [ServerDirectory, PlainServerDirectory];
            options.MaxFrameBytes = 64 * 1024;
            // Long enough for a loaded machine: the segment tests ask for 20 s and expect every segment.
            options.MaxSegmentWaitMilliseconds = 20_000;
        });
    }

    private string PlainEdgeDirectory => Path.Combine(_root, "plain", "edge");
    private string PlainServerDirectory => Path.Combine(_root, "plain", "server");

    private static LabeledImages Images => FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fashion-mnist-sample"), DatasetSplit.Test);

    [Fact]
    public async Task EdgeClient_EveryLevelOfOneStudent_GetsTheAnswerOfTheLocalParts_AndSendsAPrefixOfTheTopLevel()
    {
        using var edge = SplitModel.Load(EdgeDirectory, BundleSide.Edge, TorchFamilies.All);
        using var local = SplitModel.Load(ServerDirectory, BundleSide.Server, TorchFamilies.All);
        var images = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fashion-mnist-sample"), DatasetSplit.Test);
        var head = new LatentEdgeHead(edge);
        await using var client = new EdgeClient(new EdgeClientOptions { Endpoints = [new Uri(_server.Url)], FrameDeadline = TimeSpan.FromSeconds(30) }, head.Open);

        for (uint level = 0; level < Ladder.Length; level++)
        {
            for (int i = 0; i < 6; i++)
            {
                head.RateLevel = level;
                var frame = head.Encode(images.Image(i));
                head.RateLevel = (uint)Ladder.Length - 1;
                var top = head.Encode(images.Image(i));
                var answer = await client.InferAsync((ulong)(level * 10 + i), frame).WithTimeout();

                Assert.Equal(level, frame.RateLevel);
                Assert.Equal(top.Payload.AsSpan(0, frame.Payload.Length).ToArray(), frame.Payload);
                var yHat = new float[4 * 7 * 7];
                Assert.True(local.Levels[(int)level].Entropy.TryDecompress(frame.Payload, yHat, out var error), error);
                var expected = local.Levels[(int)level].Server!.Run(yHat, [7], 7).Probabilities!;
                Assert.True(answer.Succeeded, answer.Failure);
                Assert.Equal(Array.IndexOf(expected, expected.Max()), answer.ClassId);
                Assert.Equal(expected.Max(), answer.Confidence, 4);
            }
        }
    }

    // Three refinements after the base: in one message, in two runs (2 + 1 segments), or one message each.
    [Theory]
    [InlineData(1, new[] { 3 })]
    [InlineData(2, new[] { 2, 1 })]
    [InlineData(9, new[] { 1, 1, 1 })]
    public async Task EdgeClient_SendingSegments_IsAnsweredAtTheTopLevel_AsTheWholeFrame(int refinementMessages, int[] runs)
    {
        using var edge = SplitModel.Load(EdgeDirectory, BundleSide.Edge, TorchFamilies.All);
        var head = new LatentEdgeHead(edge, (uint)Ladder.Length - 1);
        var options = new EdgeClientOptions { Endpoints = [new Uri(_server.Url)], FrameDeadline = TimeSpan.FromSeconds(30) };
        await using var whole = new EdgeClient(options, head.Open);
        await using var segmented = new EdgeClient(options with { SendSegments = true, SegmentWait = TimeSpan.FromSeconds(20), RefinementMessages = refinementMessages }, head.Open);

        for (int i = 0; i < 8; i++)
        {
            var frame = head.Encode(Images.Image(i));
            var messages = segmented.Messages((ulong)i, frame);
            Assert.Equal(runs, messages.Skip(1).Select(m => Math.Max(1, (int)m.SegmentCount)));
            Assert.Equal(frame.Payload, messages.SelectMany(m => m.Payload.ToByteArray()));
            Assert.Equal([(uint)Ladder.Length, .. messages.Skip(1).Select(m => 0u)], messages.Select(m => m.Segments));
            var expected = await whole.InferAsync((ulong)i, frame).WithTimeout();
            var answer = await segmented.InferAsync((ulong)i, frame).WithTimeout();

            Assert.True(answer.Succeeded, answer.Failure);
            Assert.Equal((uint)Ladder.Length - 1, answer.RateLevel);
            Assert.Equal((uint)Ladder.Length - 1, expected.RateLevel);
            Assert.Equal(expected.ClassId, answer.ClassId);
            Assert.Equal(expected.Confidence, answer.Confidence, 6);
        }
    }

    [Fact]
    public void AtLevel_OfAnEmbeddedFrame_IsTheFrameCodedAtThatLevel()
    {
        using var edge = SplitModel.Load(EdgeDirectory, BundleSide.Edge, TorchFamilies.All);
        var head = new LatentEdgeHead(edge, (uint)Ladder.Length - 1);
        var top = head.Encode(Images.Image(3));

        Assert.True(edge.IsEmbedded);
        for (uint level = 0; level < Ladder.Length; level++)
        {
            head.RateLevel = level;
            var coded = head.Encode(Images.Image(3));
            var cut = top.AtLevel(level);
            Assert.Equal(coded.Payload, cut.Payload);
            Assert.Equal(coded.SegmentEnds, cut.SegmentEnds);
            Assert.Equal(level, cut.RateLevel);
        }
        Assert.Throws<InvalidOperationException>(() => top.AtLevel(0).AtLevel(1));
    }

    // The server answers at the frame's wait from the whole segments it has; a segment after that is dropped.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task InferStream_SegmentsMissingAtTheWait_AreAnsweredFromTheOnesThatArrived_AndLateOnesDropped(int sent)
    {
        using var edge = SplitModel.Load(EdgeDirectory, BundleSide.Edge, TorchFamilies.All);
        using var local = SplitModel.Load(ServerDirectory, BundleSide.Server, TorchFamilies.All);
        var head = new LatentEdgeHead(edge, (uint)Ladder.Length - 1);
        var frame = head.Encode(Images.Image(5));
        var messages = Messages(frame, refineMicros: 50_000);
        await using var stream = new RawStream(_server, head.Open!);

        var started = System.Diagnostics.Stopwatch.StartNew();
        foreach (var message in messages.Take(sent))
        {
            await stream.WriteAsync(message);
        }
        var answer = await stream.ReadAsync();
        var waited = started.Elapsed;
        await stream.WriteAsync(messages[sent]);
        await stream.WriteAsync(Messages(frame, refineMicros: 50_000, frameId: 2)[0]);
        var next = await stream.ReadAsync();

        Assert.Null(answer.Error);
        Assert.Equal((uint)(sent - 1), answer.RateLevel);
        Assert.True(waited >= TimeSpan.FromMilliseconds(45), $"answered after {waited.TotalMilliseconds:F0} ms");
        var yHat = new float[4 * 7 * 7];
        Assert.True(local.Levels[sent - 1].Entropy.TryDecompress(frame.AtLevel((uint)sent - 1).Payload, yHat, out var error), error);
        var expected = local.Levels[sent - 1].Server!.Run(yHat, [7], 7).Probabilities!;
        Assert.Equal(Array.IndexOf(expected, expected.Max()), (int)answer.Predictions[0].ClassId);
        Assert.Equal(expected.Max(), answer.Predictions[0].Probability, 4);
        Assert.Equal(2ul, next.FrameId);
        Assert.Equal(0u, next.RateLevel);
    }

    [Theory]
    [InlineData("order")]
    [InlineData("too many")]
    [InlineData("level")]
    [InlineData("not embedded")]
    [InlineData("twice")]
    [InlineData("oversize")]
    [InlineData("run past the last")]
    public async Task InferStream_AMalformedOrOversizeSegmentedFrame_IsRefused_AndTheStreamGoesOn(string fault)
    {
        using var edge = SplitModel.Load(EdgeDirectory, BundleSide.Edge, TorchFamilies.All);
        var head = new LatentEdgeHead(edge, (uint)Ladder.Length - 1);
        var frame = head.Encode(Images.Image(7));
        var messages = Messages(frame, refineMicros: 5_000_000);
        StreamOpen open = head.Open!;
        InferRequest[] bad = fault switch
        {
            "order" => [messages[0], messages[2]],
            "too many" => [new InferRequest(messages[0]) { Segments = (uint)Ladder.Length + 1 }],
            "level" => [new InferRequest(messages[0]) { RateLevel = 1 }],
            "twice" => [messages[0], new InferRequest(messages[0]) { RefineMicros = 1 }],
            "oversize" => [messages[0], new InferRequest(messages[1]) { Payload = ByteString.CopyFrom(new byte[40_000]) }, new InferRequest(messages[2]) { Payload = ByteString.CopyFrom(new byte[40_000]) }],
            "run past the last" => [messages[0], new InferRequest(messages[1]) { SegmentCount = (uint)Ladder.Length }],
            _ => [messages[0]],
        };
        if (fault == "not embedded")
        {
            using var plain = SplitModel.Load(PlainEdgeDirectory, BundleSide.Edge, TorchFamilies.All);
            Assert.False(plain.IsEmbedded);
            open = new LatentEdgeHead(plain).Open!;
        }
        await using var stream = new RawStream(_server, open);

        foreach (var message in bad)
        {
            await stream.WriteAsync(message);
        }
        var refused = await stream.ReadAsync();
        if (fault == "twice")
        {
            // The second base is refused at once; the first is then answered at its wait.
            Assert.Equal((int)StatusCode.InvalidArgument, refused.Error?.Code);
            await stream.WriteAsync(messages[1]);
            await stream.WriteAsync(messages[2]);
            await stream.WriteAsync(messages[3]);
            var first = await stream.ReadAsync();
            Assert.Null(first.Error);
            Assert.Equal((uint)Ladder.Length - 1, first.RateLevel);
            return;
        }
        Assert.Equal((int)(fault == "oversize" ? StatusCode.ResourceExhausted : StatusCode.InvalidArgument), refused.Error?.Code);
        Assert.Contains(fault switch
        {
            "order" => "segment 2 arrived where segment 1",
            "run past the last" => "segments 1 to 4 arrived where segment 1 of 4",
            "not embedded" => "not an embedded model",
            "oversize" => "exceed the 65536-byte frame limit",
            _ => "segments at rate level",
        }, refused.Error!.Message);
        if (fault != "not embedded")
        {
            await stream.WriteAsync(new InferRequest { FrameId = 9, Payload = ByteString.CopyFrom(new LatentEdgeHead(edge).Encode(Images.Image(0)).Payload) });
            var next = await stream.ReadAsync();
            Assert.Equal(9ul, next.FrameId);
            Assert.Null(next.Error);
        }
    }

    [Fact]
    public async Task GetModel_SaysWhichModelsAreEmbedded()
    {
        var client = new SplitInference.SplitInferenceClient(_server.Channel());

        Assert.True((await client.GetModelAsync(new GetModelRequest { ModelId = "test-ladder" })).Embedded);
        Assert.False((await client.GetModelAsync(new GetModelRequest { ModelId = "test-two-levels" })).Embedded);
    }

    private static InferRequest[] Messages(EncodedFrame frame, uint refineMicros, ulong frameId = 1)
    {
        var ends = frame.SegmentEnds!;
        return [new InferRequest { FrameId = frameId, Payload = ByteString.CopyFrom(frame.Payload.AsSpan(0, ends[0])), Segments = (uint)ends.Length, RefineMicros = refineMicros },
            .. Enumerable.Range(1, ends.Length - 1).Select(k => new InferRequest { FrameId = frameId, Segment = (uint)k, Payload = ByteString.CopyFrom(frame.Payload.AsSpan(ends[k - 1], ends[k] - ends[k - 1])) })];
    }

    /// <summary>A latent stream written and read message by message.</summary>
    private sealed class RawStream : IAsyncDisposable
    {
        private readonly AsyncDuplexStreamingCall<InferRequest, InferResponse> _call;

        public RawStream(TestServer server, StreamOpen open)
        {
            _call = new SplitInference.SplitInferenceClient(server.Channel()).InferStream();
            _call.RequestStream.WriteAsync(new InferRequest { Open = open }).WithTimeout().GetAwaiter().GetResult();
        }

        public Task WriteAsync(InferRequest message) => _call.RequestStream.WriteAsync(message).WithTimeout();

        public async Task<InferResponse> ReadAsync()
        {
            Assert.True(await _call.ResponseStream.MoveNext().WithTimeout());
            return _call.ResponseStream.Current;
        }

        public async ValueTask DisposeAsync()
        {
            await _call.RequestStream.CompleteAsync();
            while (await _call.ResponseStream.MoveNext().WithTimeout())
            {
            }
            _call.Dispose();
        }
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }
}
