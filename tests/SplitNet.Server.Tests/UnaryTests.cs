using Google.Protobuf;
using Grpc.Core;
using SplitNet.Codec;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Models.Teacher;

namespace SplitNet.Server.Tests;

[Collection(nameof(ServerCollection))]
public sealed class UnaryTests(ServerFixture server) : FunctionalTest(server.Logs)
{
    private byte[] GoodPayload(int image = 0) =>
        LocalTeacher.Head(server.Teacher, server.Manifest, TeacherStage.Stage2, CodecId.Affine8Lz4).Encode(server.Sample.Image(image));

    private async Task AssertStillServingAsync()
    {
        var answer = await server.Client.InferAsync(new InferRequest { FrameId = 99, Payload = ByteString.CopyFrom(GoodPayload(3)) }).WithTimeout();
        Assert.Equal(99ul, answer.FrameId);
        Assert.Single(answer.Predictions);
    }

    private async Task AssertRejectedAsync(byte[] payload, StatusCode expected, string detail)
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.InferAsync(new InferRequest { FrameId = 1, Payload = ByteString.CopyFrom(payload) }).WithTimeout());
        Assert.Equal(expected, error.StatusCode);
        Assert.Contains(detail, error.Status.Detail);
        await AssertStillServingAsync().WithTimeout();
    }

    [Fact]
    public async Task Infer_GoodPayload_ReturnsTheTopClass()
    {
        var answer = await server.Client.InferAsync(new InferRequest { FrameId = 5, Payload = ByteString.CopyFrom(GoodPayload(5)), TopK = 10 }).WithTimeout();
        Assert.Equal(10, answer.Predictions.Count);
        Assert.Equal(1.0, answer.Predictions.Sum(p => p.Probability), 3);
        Assert.True(answer.ServerMicros > 0);
    }

    [Fact]
    public Task Infer_WrongShape_IsInvalidArgument()
    {
        var payload = FeatureCodec.Encode(CodecId.Affine8Lz4, server.Manifest.ModelId, (byte)TeacherStage.Stage2,
            new TensorShape([64, 7, 7]), new float[64 * 7 * 7]);
        return AssertRejectedAsync(payload, StatusCode.InvalidArgument, "does not match 64x14x14");
    }

    [Fact]
    public Task Infer_UnknownSplitPoint_IsInvalidArgument()
    {
        var payload = FeatureCodec.Encode(CodecId.RawFloat32, server.Manifest.ModelId, 9, new TensorShape([4]), new float[4]);
        return AssertRejectedAsync(payload, StatusCode.InvalidArgument, "no split point 9");
    }

    [Fact]
    public Task Infer_CorruptLz4Block_IsInvalidArgument()
    {
        var payload = GoodPayload();
        PayloadHeader.TryRead(payload, out _, out var headerLength, out _);
        payload[headerLength] = 0xF0;
        payload[headerLength + 1] = 0xFF;
        return AssertRejectedAsync(payload, StatusCode.InvalidArgument, "corrupt payload");
    }

    [Fact]
    public async Task Infer_MutatedFeaturePayloads_AreNeverAnswered()
    {
        var random = new Random(5);
        var original = GoodPayload(1);
        var answered = new List<string>();
        for (int trial = 0; trial < 300; trial++)
        {
            var payload = (byte[])original.Clone();
            for (int f = random.Next(1, 4); f > 0; f--)
            {
                payload[random.Next(payload.Length)] ^= (byte)random.Next(1, 256);
            }
            try
            {
                await server.Client.InferAsync(new InferRequest { FrameId = (ulong)trial, Payload = ByteString.CopyFrom(payload) }).WithTimeout();
                answered.Add($"trial {trial}");
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument or StatusCode.NotFound)
            {
            }
        }
        Assert.Empty(answered);
        await AssertStillServingAsync();
    }

    [Fact]
    public Task Infer_GarbageHeader_IsInvalidArgument() =>
        AssertRejectedAsync([1, 2, 3, 4, 5, 6, 7, 8], StatusCode.InvalidArgument, "bad payload header");

    [Fact]
    public Task Infer_UnknownModel_IsNotFound()
    {
        var payload = FeatureCodec.Encode(CodecId.RawFloat32, "no-such-model", 2, new TensorShape([64, 14, 14]), new float[64 * 14 * 14]);
        return AssertRejectedAsync(payload, StatusCode.NotFound, "no-such-model");
    }

    [Fact]
    public Task Infer_PayloadOverTheFrameCap_IsResourceExhausted() =>
        AssertRejectedAsync(new byte[ServerFixture.MaxFrameBytes + 1], StatusCode.ResourceExhausted, "frame limit");

    [Fact]
    public Task Infer_MessageOverTheReceiveLimit_IsResourceExhausted() =>
        AssertRejectedAsync(new byte[ServerFixture.MaxReceiveMessageBytes + 10], StatusCode.ResourceExhausted, "");

    [Fact]
    public async Task GetModel_ServedTeacher_DescribesSplitPointsCodecsAndLabels()
    {
        var info = await server.Client.GetModelAsync(new GetModelRequest { ModelId = server.Manifest.ModelId }).WithTimeout();

        Assert.Equal(["stem", "stage1", "stage2", "stage3"], info.SplitPoints.Select(p => p.Name));
        Assert.Equal([64u, 14u, 14u], info.SplitPoints[2].Shape);
        Assert.Equal(server.Manifest.Labels, info.Labels);
        Assert.Equal(server.Manifest.WeightsSha256, info.WeightsSha256);
        Assert.Equal([0u, 1u, 2u, 3u, 4u], info.Codecs);
    }

    [Fact]
    public async Task GetModel_UnknownModel_IsNotFound()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () => await server.Client.GetModelAsync(new GetModelRequest { ModelId = "x" }).WithTimeout());
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Theory]
    [InlineData(300, "x", StatusCode.InvalidArgument)]
    [InlineData(20_000, "x", StatusCode.InvalidArgument)]
    [InlineData(200, "\n", StatusCode.InvalidArgument)]
    [InlineData(200, "\u0085", StatusCode.InvalidArgument)]
    [InlineData(200, "x", StatusCode.NotFound)]
    public async Task Infer_MadeUpModelId_IsRefusedWithAShortEchoAndTheConnectionGoesOn(int length, string last, StatusCode expected)
    {
        var id = new string('x', length - 1) + last;
        var request = new InferRequest { Payload = ByteString.CopyFrom([1, 2, 3]), Latent = new LatentIdentity { ModelId = id, TablesSha256 = { "00" } } };

        var error = await Assert.ThrowsAsync<RpcException>(async () => await server.Client.InferAsync(request).WithTimeout());
        var info = await Assert.ThrowsAsync<RpcException>(async () => await server.Client.GetModelAsync(new GetModelRequest { ModelId = id }).WithTimeout());

        Assert.Equal(expected, error.StatusCode);
        Assert.Equal(StatusCode.NotFound, info.StatusCode);
        Assert.All(new[] { error, info }, e => Assert.InRange(e.Status.Detail.Length, 1, 200));
        Assert.All(new[] { error, info }, e => Assert.DoesNotContain("\n", e.Status.Detail));
        await AssertStillServingAsync().WithTimeout();
    }
}
