using Grpc.Core;
using Google.Protobuf;
using SplitNet.Codec;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Edge.Resilience;
using SplitNet.Edge.Sources;
using SplitNet.Models.Teacher;

namespace SplitNet.Server.Tests;

[Collection(nameof(ServerCollection))]
public sealed class StreamingTests(ServerFixture server) : FunctionalTest(server.Logs)
{
    private EdgeHead Head(CodecId codec, TeacherStage split = TeacherStage.Stage2) => LocalTeacher.Head(server.Teacher, server.Manifest, split, codec);

    /// <summary>Sends every payload on one raw stream and collects every answer, duplicates included.</summary>
    private async Task<List<InferResponse>> StreamAsync(IReadOnlyList<byte[]> payloads)
    {
        using var call = server.Client.InferStream();
        var answers = new List<InferResponse>();
        var reading = Task.Run(async () =>
        {
            await foreach (var answer in call.ResponseStream.ReadAllAsync())
            {
                answers.Add(answer);
            }
        });
        for (int i = 0; i < payloads.Count; i++)
        {
            await call.RequestStream.WriteAsync(new InferRequest { FrameId = (ulong)(1000 + i), Payload = ByteString.CopyFrom(payloads[i]), TopK = 3 }).WithTimeout();
        }
        await call.RequestStream.CompleteAsync().WithTimeout();
        await reading.WithTimeout();
        return answers;
    }

    [Fact]
    public async Task InferStream_150Float32Frames_EachAnsweredOnceWithTheWholeTeachersPrediction()
    {
        var head = Head(CodecId.RawFloat32);
        var payloads = Enumerable.Range(0, 150).Select(i => head.Encode(server.Sample.Image(i))).ToList();

        var answers = await StreamAsync(payloads).WithTimeout();

        Assert.Equal(150, answers.Count);
        Assert.Equal(Enumerable.Range(1000, 150).Select(i => (ulong)i), answers.Select(a => a.FrameId).Order());
        foreach (var answer in answers)
        {
            Assert.Null(answer.Error);
            Assert.Equal(3, answer.Predictions.Count);
            var expected = LocalTeacher.Probabilities(server.Teacher, server.Sample.Image((int)answer.FrameId - 1000));
            var best = answer.Predictions[0];
            Assert.Equal(LocalTeacher.ArgMax(expected), (int)best.ClassId);
            Assert.Equal(expected[best.ClassId], best.Probability, 4);
            Assert.Equal(server.Manifest.Labels[(int)best.ClassId], best.Label);
            Assert.True(answer.Predictions[0].Probability >= answer.Predictions[1].Probability);
        }
    }

    [Theory]
    [InlineData(TeacherStage.Stage1)]
    [InlineData(TeacherStage.Stage2)]
    [InlineData(TeacherStage.Stage3)]
    public async Task InferStream_Affine8Frames_MatchTheTailOnTheSameDecodedFeatures(TeacherStage split)
    {
        var head = Head(CodecId.Affine8Lz4, split);
        var payloads = Enumerable.Range(0, 40).Select(i => head.Encode(server.Sample.Image(i))).ToList();

        var answers = await StreamAsync(payloads).WithTimeout();

        Assert.Equal(40, answers.Count);
        foreach (var answer in answers)
        {
            var expected = LocalTeacher.ProbabilitiesFromPayload(server.Teacher, payloads[(int)answer.FrameId - 1000]);
            Assert.Equal(LocalTeacher.ArgMax(expected), (int)answer.Predictions[0].ClassId);
            Assert.Equal(expected.Max(), answer.Predictions[0].Probability, 4);
        }
    }

    [Fact]
    public async Task InferStream_BadFrameInTheMiddle_FailsOnlyThatFrame()
    {
        var head = Head(CodecId.Affine8Lz4);
        var payloads = Enumerable.Range(0, 20).Select(i => head.Encode(server.Sample.Image(i))).ToList();
        payloads[7] = payloads[7][..^10];

        var answers = await StreamAsync(payloads).WithTimeout();

        Assert.Equal(20, answers.Count);
        var bad = Assert.Single(answers, a => a.Error is not null);
        Assert.Equal(1007ul, bad.FrameId);
        Assert.Equal((int)StatusCode.InvalidArgument, bad.Error.Code);
        Assert.All(answers.Where(a => a.FrameId != 1007), a => Assert.NotEmpty(a.Predictions));
    }

    [Fact]
    public async Task InferStream_OversizeMessage_EndsThatStreamWhileAnotherKeepsServing()
    {
        var head = Head(CodecId.RawFloat32);
        using var healthy = server.Client.InferStream();
        await healthy.RequestStream.WriteAsync(new InferRequest { FrameId = 1, Payload = ByteString.CopyFrom(head.Encode(server.Sample.Image(0))) }).WithTimeout();
        Assert.True(await healthy.ResponseStream.MoveNext().WithTimeout());

        using var oversize = server.Client.InferStream();
        try
        {
            await oversize.RequestStream.WriteAsync(new InferRequest { FrameId = 1, Payload = ByteString.CopyFrom(new byte[ServerFixture.MaxReceiveMessageBytes + 1]) }).WithTimeout();
        }
        catch (RpcException)
        {
            // The server may end the call before the whole message is written; its status follows.
        }
        var error = await Assert.ThrowsAsync<RpcException>(() => oversize.ResponseStream.MoveNext()).WithTimeout();
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);

        await healthy.RequestStream.WriteAsync(new InferRequest { FrameId = 2, Payload = ByteString.CopyFrom(head.Encode(server.Sample.Image(1))) }).WithTimeout();
        Assert.True(await healthy.ResponseStream.MoveNext().WithTimeout());
        Assert.Equal(2ul, healthy.ResponseStream.Current.FrameId);
        Assert.NotEmpty(healthy.ResponseStream.Current.Predictions);
        await healthy.RequestStream.CompleteAsync().WithTimeout();
    }

    [Fact]
    public async Task InferStream_OpenAfterFrames_AnswersEveryFrameReadThenEndsInvalidArgument()
    {
        var payloads = Enumerable.Range(0, 24).Select(i => Head(CodecId.RawFloat32).Encode(server.Sample.Image(i))).ToList();
        using var call = server.Client.InferStream();
        foreach (var (payload, i) in payloads.Select((p, i) => (p, i)))
        {
            await call.RequestStream.WriteAsync(new InferRequest { FrameId = (ulong)(i + 1), Payload = ByteString.CopyFrom(payload) }).WithTimeout();
        }
        await call.RequestStream.WriteAsync(new InferRequest { Open = new StreamOpen() }).WithTimeout();

        var answered = new List<ulong>();
        var end = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext())
            {
                answered.Add(call.ResponseStream.Current.FrameId);
            }
        }).WithTimeout();

        Assert.Equal(StatusCode.InvalidArgument, end.StatusCode);
        Assert.Equal(Enumerable.Range(1, payloads.Count).Select(i => (ulong)i), answered.Order());
    }

    [Fact]
    public async Task InferStream_OpenAndAFrameInOneMessage_IsRefusedNotDropped()
    {
        using var call = server.Client.InferStream();
        await call.RequestStream.WriteAsync(new InferRequest
        {
            FrameId = 7,
            Payload = ByteString.CopyFrom(Head(CodecId.RawFloat32).Encode(server.Sample.Image(0))),
            Open = new StreamOpen { Identity = new LatentIdentity { ModelId = "test-entropic" } },
        }).WithTimeout();

        var end = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext()).WithTimeout();

        Assert.Equal(StatusCode.InvalidArgument, end.StatusCode);
        Assert.Contains("not both", end.Status.Detail);
    }
}
