using Google.Protobuf;
using Grpc.Core;
using SplitNet.Codec;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Edge.Resilience;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Models.Text;

namespace SplitNet.Server.Tests.Text;

/// <summary>
/// What a text split is compared with, served under the split model's own id: the naive split
/// (hidden states after layer k with a feature codec) and the sentence itself, tokenized by the
/// server for the whole model. Both must answer what all-MiniLM-L6-v2 and the head answer unsplit.
/// </summary>
public sealed class TextBaselineTests : TextServerTest
{
    private const string ModelId = "minilm-test";

    /// <summary>The unsplit model's embedding and the head's top class for every gloss.</summary>
    private (float[][] Embeddings, int[] Classes) Unsplit()
    {
        using var bert = BertOnnxImport.Load(MiniLmPackage.Locate().Model, BertConfig.MiniLmL6);
        var embeddings = bert.SentenceEmbeddings([.. Glosses.Select(g => Tokens(g).Select(t => (long)t).ToArray())]);
        using var server = SplitModel.Load(ServerDirectory, BundleSide.Server, TorchFamilies.All);
        var probabilities = TextSplitFamily.Classify(server, embeddings);
        return (embeddings, [.. probabilities.Select(p => Array.IndexOf(p, p.Max()))]);
    }

    private async Task<EdgeAnswer[]> SendAsync(IFrameEncoder head)
    {
        await using var client = new EdgeClient(new EdgeClientOptions { Endpoints = [new Uri(Server.Url)], FrameDeadline = TimeSpan.FromSeconds(30) }, head.Open);
        var frames = Glosses.Select(g => head.Encode(SplitInput.Sentence(g, Tokens(g)))).ToArray();
        return await Task.WhenAll(frames.Select((f, i) => client.InferAsync((ulong)i, f))).WithTimeout(TimeSpan.FromSeconds(60));
    }

    [Theory]
    [InlineData(CodecId.RawFloat32, 0)]
    [InlineData(CodecId.RawFloat32, 2)]
    [InlineData(CodecId.Float16, 2)]
    [InlineData(CodecId.Affine8Lz4, 5)]
    public async Task EdgeClient_HiddenStatesAfterLayerK_GetTheUnsplitModelsAnswers(CodecId codec, int layer)
    {
        var (expected, classes) = Unsplit();
        var head = new EdgeHead(TextFeatureSplit.Head(ModelId, TextFeatureSplit.Points(32)[layer]), codec);

        var answers = await SendAsync(head);

        double floor = codec == CodecId.RawFloat32 ? 0.999999 : 0.999;
        for (int i = 0; i < Glosses.Length; i++)
        {
            Assert.True(answers[i].Succeeded, answers[i].Failure);
            double cosine = BertModel.Cosine(answers[i].Embedding!, expected[i]);
            Assert.True(cosine >= floor, $"gloss {i}: cosine {cosine:F7} to the unsplit embedding");
            if (codec == CodecId.RawFloat32)
            {
                Assert.Equal(classes[i], answers[i].ClassId);
            }
        }
    }

    [Fact]
    public async Task EdgeClient_TheSentencesThemselves_AreTokenizedByTheServerAndGetTheUnsplitModelsAnswers()
    {
        var (expected, classes) = Unsplit();

        var answers = await SendAsync(new SentenceEdgeHead(ModelId));

        for (int i = 0; i < Glosses.Length; i++)
        {
            Assert.True(answers[i].Succeeded, answers[i].Failure);
            double worst = answers[i].Embedding!.Zip(expected[i], (a, e) => Math.Abs(a - e)).Max();
            Assert.True(worst < 1e-4, $"gloss {i}: max difference {worst:E2}");
            Assert.Equal(classes[i], answers[i].ClassId);
        }
    }

    [Fact]
    public async Task Infer_BadTextAndFeaturePayloads_GetInvalidArgumentAndTheServerKeepsServing()
    {
        var client = new SplitInference.SplitInferenceClient(Server.Channel());
        async Task Refused(byte[] payload, string detail)
        {
            var error = await Assert.ThrowsAsync<RpcException>(async () =>
                await client.InferAsync(new InferRequest { FrameId = 9, Payload = ByteString.CopyFrom(payload) }).WithTimeout());
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.Contains(detail, error.Status.Detail);
        }
        byte[] Payload(CodecId codec, byte split, int[] shape, byte[] body)
        {
            var output = new System.Buffers.ArrayBufferWriter<byte>();
            new PayloadHeader(codec, ModelId, split, new TensorShape(shape), 1, 0).Write(output, body);
            return output.WrittenSpan.ToArray();
        }
        var sentence = TextCodec.Encode(ModelId, FeatureSplitPoint.InputId, Glosses[0]);
        var flipped = (byte[])sentence.Clone();
        flipped[^1] ^= 0x20;

        await Refused(Payload(CodecId.Utf8Text, FeatureSplitPoint.InputId, [2], [0xC3, 0x28]), "not valid UTF-8");
        await Refused(flipped, "checksum mismatch");
        await Refused(TextCodec.Encode(ModelId, 2, Glosses[0]), "no text payloads at split point 2");
        await Refused(Payload(CodecId.Float16, 2, [383, 4], new byte[383 * 4 * 2]), "does not match 384x≤32");
        await Refused(Payload(CodecId.Float16, 2, [384, 33], new byte[384 * 33 * 2]), "does not match 384x≤32");
        await Refused(Payload(CodecId.Float16, 2, [384, 4], new byte[384 * 3 * 2]), "float16 body is");

        var answers = await SendAsync(new SentenceEdgeHead(ModelId));
        Assert.All(answers, a => Assert.True(a.Succeeded, a.Failure));
    }

    [Fact]
    public async Task GetModel_TheTextSplitModel_ListsItsLevelsAndItsFeaturePaths()
    {
        var info = await new SplitInference.SplitInferenceClient(Server.Channel()).GetModelAsync(new GetModelRequest { ModelId = ModelId }).WithTimeout();

        Assert.Equal(2, info.RateLevels.Count);
        Assert.Equal([(uint)CodecId.Float16, (uint)CodecId.Affine8Lz4, (uint)CodecId.RawFloat32, (uint)CodecId.Utf8Text], info.Codecs);
        Assert.Equal(["embeddings", "layer1", "layer2", "layer3", "layer4", "layer5"], info.SplitPoints.Select(p => p.Name));
        Assert.All(info.SplitPoints, p => Assert.Equal([384u, 32u], p.Shape));
    }

    [Fact]
    public void TextBaselineParts_EdgeHeadTailAndWhole_LeaveNoTensorAlive()
    {
        using var server = SplitModel.Load(ServerDirectory, BundleSide.Server, TorchFamilies.All);
        var point = TextFeatureSplit.Points(32)[2];
        var head = TextFeatureSplit.Head(ModelId, point);
        var tail = TextFeatureSplit.Tail(server, point);
        var whole = TextFeatureSplit.Whole(server);
        var tokens = Tokens(Glosses[2]);

        AssertNoTensorLeft(() => Assert.Equal(384 * tokens.Length, head.Features(SplitInput.TokenIds(tokens)).Length));
        AssertNoTensorLeft(() => Assert.Equal(2 * 384, tail.Run(new float[2 * 384 * 16], [16, 9], 16).Embeddings!.Length));
        AssertNoTensorLeft(() => Assert.Equal(2 * Labels.Length, whole.Run(new float[2 * 16], [16, 9], 16).Probabilities!.Length));
    }
}
