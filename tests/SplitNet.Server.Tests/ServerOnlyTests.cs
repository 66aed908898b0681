using Google.Protobuf;
using Grpc.Core;
using SplitNet.Codec;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Models.Teacher;

namespace SplitNet.Server.Tests;

/// <summary>The server-only deployment: the image itself, PNG or WebP lossless, and the whole teacher on the server.</summary>
[Collection(nameof(ServerCollection))]
public sealed class ServerOnlyTests(ServerFixture server) : FunctionalTest(server.Logs)
{
    private ImageEdgeHead Head(CodecId codec) =>
        new(server.Manifest.ModelId, new TensorShape(FeatureSplit.Input.Feature.Dimensions), codec, FeatureSplit.InputAffine.Scale, FeatureSplit.InputAffine.Offset);

    [Theory]
    [InlineData(CodecId.Png)]
    [InlineData(CodecId.WebpLossless)]
    public async Task Infer_AnImagePayload_IsAnsweredByTheWholeTeacher(CodecId codec)
    {
        var head = Head(codec);
        for (int i = 0; i < 12; i++)
        {
            var payload = head.Encode(server.Sample.Image(i)).Payload;
            var answer = await server.Client.InferAsync(new InferRequest { FrameId = (ulong)i, Payload = ByteString.CopyFrom(payload), TopK = 10 }).WithTimeout();

            var expected = LocalTeacher.Probabilities(server.Teacher, server.Sample.Image(i));
            var best = answer.Predictions[0];
            Assert.Equal(LocalTeacher.ArgMax(expected), (int)best.ClassId);
            Assert.Equal(expected[best.ClassId], best.Probability, 4);
        }
    }

    [Fact]
    public async Task Infer_AnImageOfAnotherSize_IsInvalidArgument_AndTheServerGoesOn()
    {
        var wrong = ImageCodec.Encode(CodecId.Png, server.Manifest.ModelId, 255, new TensorShape([1, 14, 14]), new byte[196], 1, 0);
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.InferAsync(new InferRequest { FrameId = 1, Payload = ByteString.CopyFrom(wrong) }).WithTimeout());

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("expected after input", error.Status.Detail);
        var answer = await server.Client.InferAsync(new InferRequest { FrameId = 2, Payload = ByteString.CopyFrom(Head(CodecId.Png).Encode(server.Sample.Image(3)).Payload) }).WithTimeout();
        Assert.Single(answer.Predictions);
    }
}
