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
public sealed class StreamingTests(ServerFixture server)
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
            await call.RequestStream.WriteAsync(new InferRequest { FrameId = (ulong)(1000 + i), Payload = ByteString.CopyFrom(payloads[i]), TopK = 3 });
        }
        await call.RequestStream.CompleteAsync();
        await reading;
        return answers;
    }

    [Fact]
    public async Task InferStream_150Float32Frames_EachAnsweredOnceWithTheWholeTeachersPrediction()
    {
        var head = Head(CodecId.RawFloat32);
        var payloads = Enumerable.Range(0, 150).Select(i => head.Encode(server.Sample.Image(i))).ToList();

        var answers = await StreamAsync(payloads);

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

        var answers = await StreamAsync(payloads);

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

        var answers = await StreamAsync(payloads);

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
        await healthy.RequestStream.WriteAsync(new InferRequest { FrameId = 1, Payload = ByteString.CopyFrom(head.Encode(server.Sample.Image(0))) });
        Assert.True(await healthy.ResponseStream.MoveNext());

        using var oversize = server.Client.InferStream();
        try
        {
            await oversize.RequestStream.WriteAsync(new InferRequest { FrameId = 1, Payload = ByteString.CopyFrom(new byte[ServerFixture.MaxReceiveMessageBytes + 1]) });
        }
        catch (RpcException)
        {
            // The server may end the call before the whole message is written; its status follows.
        }
        var error = await Assert.ThrowsAsync<RpcException>(() => oversize.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);

        await healthy.RequestStream.WriteAsync(new InferRequest { FrameId = 2, Payload = ByteString.CopyFrom(head.Encode(server.Sample.Image(1))) });
        Assert.True(await healthy.ResponseStream.MoveNext());
        Assert.Equal(2ul, healthy.ResponseStream.Current.FrameId);
        Assert.NotEmpty(healthy.ResponseStream.Current.Predictions);
        await healthy.RequestStream.CompleteAsync();
    }

    [Fact]
    public async Task EdgeRunner_SampleSubset_AnswersEveryFrameAsAccuratelyAsTheLocalTeacher()
    {
        var head = Head(CodecId.Affine8Lz4);
        var images = server.Sample.Take(120);
        var local = Enumerable.Range(0, images.Count)
            .Count(i => LocalTeacher.ArgMax(LocalTeacher.Probabilities(server.Teacher, images.Image(i))) == images.Labels[i]) / 120.0;

        await using var client = new EdgeClient(new EdgeClientOptions { Endpoints = [new Uri(server.Url)], Window = 4, FrameDeadline = TimeSpan.FromSeconds(20) }, head.Open);
        var report = await EdgeRunner.RunAsync(head, client, new DatasetSource(images, "sample"), new EdgeRunOptions());

        Assert.Equal(120, report.Frames);
        Assert.Equal(0, report.Failed);
        Assert.Equal(0, report.Duplicates);
        Assert.Equal(120, report.Sources["Server"]);
        Assert.InRange(client.MaxInFlight, 1, 4);
        Assert.InRange(report.Accuracy, local - 0.025, local + 0.025);
        Assert.True(report.MessageBytesPerFrame > report.BytesPerFrame && report.BytesPerFrame > 100);
        Assert.True(report.LatencyMs.P99 >= report.LatencyMs.P50 && report.LatencyMs.P50 > 0);
    }

    [Fact]
    public async Task StreamingSession_MoreFramesThanTheWindow_NeverHasMoreInFlight()
    {
        const int window = 3;
        var head = Head(CodecId.Affine8Lz4);
        await using var session = new StreamingSession(server.Client, window);
        var answers = new List<Task<InferResponse>>();
        for (int i = 0; i < 30; i++)
        {
            answers.Add(await session.SendAsync((ulong)i, head.Encode(server.Sample.Image(i))));
            Assert.InRange(session.InFlight, 0, window);
        }
        await session.CompleteAsync();

        var responses = await Task.WhenAll(answers);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (ulong)i), responses.Select(r => r.FrameId));
        Assert.Equal(0, session.Unmatched);
    }
}
