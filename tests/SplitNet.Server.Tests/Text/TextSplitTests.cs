using Google.Protobuf;
using Grpc.Core;
using SplitNet.Contracts.Inference;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Edge.Resilience;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Models.Text;
using static TorchSharp.torch;

namespace SplitNet.Server.Tests.Text;

/// <summary>
/// all-MiniLM-L6-v2 split after layer 2 with a per-token bottleneck (seeded, untrained: these
/// tests are about the path, not the quality), served by the ordinary server: sentences of
/// different lengths at two rate levels, batched with padding, must get the embeddings the
/// parts compute alone.
/// </summary>
public sealed class TextSplitTests : TextServerTest
{
    [Fact]
    public async Task EdgeClient_SentencesOfManyLengthsAtTwoLevels_GetTheEmbeddingsThePartsComputeAlone()
    {
        using var edge = SplitModel.Load(EdgeDirectory, BundleSide.Edge, TorchFamilies.All);
        using var server = SplitModel.Load(ServerDirectory, BundleSide.Server, TorchFamilies.All);
        var head = new LatentEdgeHead(edge);
        var frames = new List<(EncodedFrame Frame, float[] Expected, float[] Probabilities)>();
        foreach (uint level in new uint[] { 0, 1 })
        {
            head.RateLevel = level;
            foreach (var gloss in Glosses)
            {
                var tokens = Tokens(gloss);
                var frame = head.Encode(SplitInput.TokenIds(tokens));
                var yHat = new float[server.Latent.Elements(tokens.Length)];
                Assert.True(server.Levels[(int)level].Entropy.TryDecompress(frame.Payload, yHat, out var error), error);
                var output = server.Levels[(int)level].Server!.Run(yHat, [tokens.Length], tokens.Length);
                frames.Add((frame, output.Embeddings!, output.Probabilities!));
            }
        }
        await using var client = new EdgeClient(new EdgeClientOptions { Endpoints = [new Uri(Server.Url)], FrameDeadline = TimeSpan.FromSeconds(30) }, head.Open);

        var answers = await Task.WhenAll(frames.Select((f, i) => client.InferAsync((ulong)i, f.Frame))).WithTimeout(TimeSpan.FromSeconds(60));

        for (int i = 0; i < frames.Count; i++)
        {
            Assert.True(answers[i].Succeeded, answers[i].Failure);
            var embedding = answers[i].Embedding!;
            Assert.Equal(384, embedding.Length);
            double worst = embedding.Zip(frames[i].Expected, (a, e) => Math.Abs(a - e)).Max();
            Assert.True(worst < 1e-4, $"frame {i}: max difference {worst:E2}");
            var probabilities = frames[i].Probabilities;
            Assert.Equal(Array.IndexOf(probabilities, probabilities.Max()), answers[i].ClassId);
            Assert.Equal(probabilities.Max(), answers[i].Confidence, 4);
        }
        Assert.NotEqual(answers[0].Embedding, answers[Glosses.Length].Embedding);
    }

    [Fact]
    public async Task Infer_BadTextFrames_GetTheirStatusAndTheServerKeepsServing()
    {
        using var edge = SplitModel.Load(EdgeDirectory, BundleSide.Edge, TorchFamilies.All);
        var head = new LatentEdgeHead(edge) { RateLevel = 1 };
        var tokens = Tokens(Glosses[2]);
        var frame = head.Encode(SplitInput.TokenIds(tokens));
        var client = new SplitInference.SplitInferenceClient(Server.Channel());
        InferRequest Request(uint length, uint level = 1, byte[]? payload = null, string model = "minilm-test") => new()
        {
            FrameId = 3,
            RateLevel = level,
            LatentLength = length,
            Payload = ByteString.CopyFrom(payload ?? frame.Payload),
            Latent = new LatentIdentity { ModelId = model, TablesSha256 = { head.Open!.Identity.TablesSha256[1] } },
        };
        async Task Refused(InferRequest request, StatusCode status, string detail)
        {
            var error = await Assert.ThrowsAsync<RpcException>(async () => await client.InferAsync(request).WithTimeout());
            Assert.Equal(status, error.StatusCode);
            Assert.Contains(detail, error.Status.Detail);
        }
        var corrupt = (byte[])frame.Payload.Clone();
        corrupt[corrupt.Length / 2] ^= 0x5A;

        await Refused(Request((uint)tokens.Length - 2), StatusCode.InvalidArgument, "corrupt latent");
        await Refused(Request((uint)tokens.Length + 3), StatusCode.InvalidArgument, "corrupt latent");
        await Refused(Request(0), StatusCode.InvalidArgument, "must declare its length");
        await Refused(Request(33), StatusCode.InvalidArgument, "exceeds the model's maximum 32");
        await Refused(Request((uint)tokens.Length, level: 2), StatusCode.InvalidArgument, "rate level 2");
        await Refused(Request((uint)tokens.Length, payload: corrupt), StatusCode.InvalidArgument, "corrupt latent");
        await Refused(Request((uint)tokens.Length, model: "minilm-nope"), StatusCode.NotFound, "minilm-nope");

        var answer = await client.InferAsync(Request((uint)tokens.Length)).WithTimeout();
        Assert.Equal(384, answer.Embedding.Count);
    }

    [Fact]
    public async Task ModelInfer_SentencesOfTwoLengths_AnswerEmbeddingAndProbabilitiesAsThePartsDo()
    {
        using var edge = SplitModel.Load(EdgeDirectory, BundleSide.Edge, TorchFamilies.All);
        using var server = SplitModel.Load(ServerDirectory, BundleSide.Server, TorchFamilies.All);
        var head = new LatentEdgeHead(edge) { RateLevel = 0 };
        var sentences = new[] { Tokens(Glosses[0]), Tokens(Glosses[2]) };
        var frames = sentences.Select(t => head.Encode(SplitInput.TokenIds(t)).Payload).ToArray();
        var request = new ModelInferRequest
        {
            ModelName = "minilm-test",
            Inputs =
            {
                new ModelInferRequest.Types.InferInputTensor { Name = "latent", Datatype = "BYTES", Shape = { 2, 1 } },
                new ModelInferRequest.Types.InferInputTensor { Name = "latent_length", Datatype = "INT32", Shape = { 2 } },
            },
            RawInputContents = { ProtocolPayloads.Raw(frames), ProtocolPayloads.Ints(sentences.Select(t => t.Length)) },
        };
        request.Parameters["rate_level"] = new InferParameter { Int64Param = 0 };

        var response = await new GRPCInferenceService.GRPCInferenceServiceClient(Server.Channel()).ModelInferAsync(request).WithTimeout();

        Assert.Equal(["probabilities", "embedding"], response.Outputs.Select(o => o.Name));
        Assert.Equal([2L, Labels.Length], response.Outputs[0].Shape);
        Assert.Equal([2L, 384], response.Outputs[1].Shape);
        var probabilities = ProtocolPayloads.Floats(response.RawOutputContents[0]);
        var embeddings = ProtocolPayloads.Floats(response.RawOutputContents[1]);
        for (int i = 0; i < 2; i++)
        {
            var yHat = new float[server.Latent.Elements(sentences[i].Length)];
            Assert.True(server.Levels[0].Entropy.TryDecompress(frames[i], yHat, out var error), error);
            var local = server.Levels[0].Server!.Run(yHat, [sentences[i].Length], sentences[i].Length);
            Assert.Equal(local.Probabilities!, probabilities[(i * Labels.Length)..((i + 1) * Labels.Length)], (a, b) => Math.Abs(a - b) < 1e-5f);
            Assert.Equal(local.Embeddings!, embeddings[(i * 384)..((i + 1) * 384)], (a, b) => Math.Abs(a - b) < 1e-4f);
        }
    }

    [Fact]
    public void TextParts_EdgeAndPaddedServer_LeaveNoTensorAlive()
    {
        using var edge = SplitModel.Load(EdgeDirectory, BundleSide.Edge, TorchFamilies.All);
        using var server = SplitModel.Load(ServerDirectory, BundleSide.Server, TorchFamilies.All);
        var tokens = Tokens(Glosses[2]);
        var part = server.Levels[1].Server!;

        AssertNoTensorLeft(() => Assert.Equal(tokens.Length, edge.Levels[1].Edge!.Encode(SplitInput.TokenIds(tokens)).Length));
        AssertNoTensorLeft(() => Assert.Equal(3 * 384, part.Run(new float[3 * server.Latent.Elements(16)], [1, 16, 9], 16).Embeddings!.Length));
    }
}
