using System.Buffers.Binary;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using SplitNet.Contracts.Inference;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;

namespace SplitNet.Server.Tests.Toy;

/// <summary>
/// Toy token models of each output kind, registered as a family of their own, served end to end
/// over splitnet.v1 and the Open Inference Protocol: variable-length latents, batched with
/// padding, and the answers must be what the parts compute on their own, frame by frame.
/// </summary>
public sealed class ToyModelTests : FunctionalTest, IAsyncLifetime
{
    private static readonly (string Id, OutputKind Output)[] Models =
        [("toy-probabilities", OutputKind.Probabilities), ("toy-embedding", OutputKind.Embedding), ("toy-both", OutputKind.Both)];

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"splitnet-toy-{Guid.NewGuid():N}");
    private readonly ToyFamily _family = new();
    private TestServer _server = null!;

    private string Edge(string id) => Path.Combine(_root, id, "edge");

    public async Task InitializeAsync()
    {
        for (int i = 0; i < Models.Length; i++)
        {
            ToyFamily.Save(Models[i].Id, Models[i].Output, seed: 40 + i, Edge(Models[i].Id), Path.Combine(_root, Models[i].Id, "server"));
        }
        _server = await StartServerAsync(options =>
        {
            options.Models = [.. Models.Select(m => Path.Combine(_root, m.Id, "server"))];
            options.MaxBatchSize = 8;
            options.MaxQueueDelayMicroseconds = 5_000;
        }, services: services => services.AddSingleton<ISplitModelFamily>(_family));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private static int[] Sentence(int index) => [.. Enumerable.Range(0, 1 + index * 5 % ToyFamily.MaxTokens).Select(t => (t * 7 + index) % 50)];

    /// <summary>What the model's own parts answer for one sentence, run alone with no padding.</summary>
    private (float[]? Probabilities, float[]? Embedding, EncodedFrame Frame) Local(string id, int[] tokens)
    {
        using var edge = SplitModel.Load(Edge(id), BundleSide.Edge, [_family]);
        using var server = SplitModel.Load(Path.Combine(_root, id, "server"), BundleSide.Server, [_family]);
        var frame = new LatentEdgeHead(edge).Encode(SplitInput.TokenIds(tokens));
        var level = server.Levels[0];
        var yHat = new float[server.Latent.Elements(tokens.Length)];
        Assert.True(level.Entropy.TryDecompress(frame.Payload, yHat, out var error), error);
        var output = level.Server!.Run(yHat, [tokens.Length], tokens.Length);
        return (output.Probabilities, output.Embeddings, frame);
    }

    [Fact]
    public async Task GetModel_ToyModels_DescribeTokenInputVariableLatentAndTheirOutputs()
    {
        var client = new SplitInference.SplitInferenceClient(_server.Channel());
        foreach (var (id, output) in Models)
        {
            var info = await client.GetModelAsync(new GetModelRequest { ModelId = id }).WithTimeout();

            Assert.Equal("tokens", info.InputKind);
            Assert.Equal([.. ProtocolOutputs(output)], info.Outputs);
            Assert.Equal(output.HasFlag(OutputKind.Embedding) ? 8u : 0u, info.EmbeddingSize);
            var level = Assert.Single(info.RateLevels);
            Assert.Equal([3u, (uint)ToyFamily.MaxTokens], level.LatentShape);
            Assert.Equal(1u, level.VariableAxis);
        }
    }

    [Fact]
    public async Task InferStream_SentencesOfManyLengths_AnswerWhatThePartsComputeAlone()
    {
        var client = new SplitInference.SplitInferenceClient(_server.Channel());
        foreach (var (id, output) in Models)
        {
            var head = new LatentEdgeHead(SplitModel.Load(Edge(id), BundleSide.Edge, [_family]));
            await using var session = new StreamingSession(client, 16, head.Open);
            var sent = new List<(int Sentence, Task<InferResponse> Answer)>();
            for (int i = 0; i < 12; i++)
            {
                var frame = head.Encode(SplitInput.TokenIds(Sentence(i)));
                Assert.Equal((uint)Sentence(i).Length, frame.LatentLength);
                sent.Add((i, await session.SendAsync((ulong)i, frame.Payload, latentLength: frame.LatentLength).WithTimeout()));
            }
            await session.CompleteAsync().WithTimeout();

            foreach (var (sentence, answer) in sent)
            {
                var response = await answer.WithTimeout();
                Assert.Null(response.Error);
                var (probabilities, embedding, _) = Local(id, Sentence(sentence));
                AssertClose(embedding, response.Embedding.Count == 0 ? null : [.. response.Embedding]);
                if (probabilities is not null)
                {
                    Assert.Equal(Array.IndexOf(probabilities, probabilities.Max()), (int)response.Predictions[0].ClassId);
                    Assert.Equal(probabilities.Max(), response.Predictions[0].Probability, 4);
                }
                else
                {
                    Assert.Empty(response.Predictions);
                }
            }
        }
    }

    [Fact]
    public async Task ModelInfer_BatchOfSentencesWithLengths_AnswersNamedOutputsAsThePartsComputeAlone()
    {
        var protocol = new GRPCInferenceService.GRPCInferenceServiceClient(_server.Channel());
        foreach (var (id, output) in Models)
        {
            var metadata = await protocol.ModelMetadataAsync(new ModelMetadataRequest { Name = id }).WithTimeout();
            Assert.Equal(["latent", "latent_length"], metadata.Inputs.Select(i => i.Name));
            Assert.Equal(ProtocolOutputs(output), metadata.Outputs.Select(o => o.Name));

            var locals = Enumerable.Range(0, 5).Select(i => Local(id, Sentence(i))).ToArray();
            var request = new ModelInferRequest
            {
                ModelName = id,
                Inputs =
                {
                    new ModelInferRequest.Types.InferInputTensor { Name = "latent", Datatype = "BYTES", Shape = { locals.Length, 1 } },
                    new ModelInferRequest.Types.InferInputTensor { Name = "latent_length", Datatype = "INT32", Shape = { locals.Length } },
                },
                RawInputContents = { ProtocolPayloads.Raw(locals.Select(l => l.Frame.Payload)), ProtocolPayloads.Ints(locals.Select(l => (int)l.Frame.LatentLength)) },
            };
            var response = await protocol.ModelInferAsync(request).WithTimeout();

            Assert.Equal(ProtocolOutputs(output), response.Outputs.Select(o => o.Name));
            for (int o = 0; o < response.Outputs.Count; o++)
            {
                var values = ProtocolPayloads.Floats(response.RawOutputContents[o]);
                int size = (int)response.Outputs[o].Shape[1];
                Assert.Equal([locals.Length, size], response.Outputs[o].Shape);
                for (int i = 0; i < locals.Length; i++)
                {
                    var expected = response.Outputs[o].Name == "embedding" ? locals[i].Embedding : locals[i].Probabilities;
                    AssertClose(expected, values.AsSpan(i * size, size).ToArray());
                }
            }
        }
    }

    [Fact]
    public async Task EdgeClient_EmbeddingModel_AnswersWithTheEmbeddingAndNoClass()
    {
        var head = new LatentEdgeHead(SplitModel.Load(Edge("toy-embedding"), BundleSide.Edge, [_family]));
        await using var client = new Edge.Resilience.EdgeClient(new Edge.Resilience.EdgeClientOptions { Endpoints = [new Uri(_server.Url)], FrameDeadline = TimeSpan.FromSeconds(20) }, head.Open);
        var tokens = Sentence(4);

        var answer = await client.InferAsync(1, head.Encode(SplitInput.TokenIds(tokens))).WithTimeout();

        Assert.True(answer.Succeeded, answer.Failure);
        Assert.Equal(-1, answer.ClassId);
        AssertClose(Local("toy-embedding", tokens).Embedding, answer.Embedding);
    }

    [Fact]
    public async Task Infer_LatentLengthMissingOrTooLong_IsInvalidArgumentAndTheServerGoesOn()
    {
        var client = new SplitInference.SplitInferenceClient(_server.Channel());
        var head = new LatentEdgeHead(SplitModel.Load(Edge("toy-embedding"), BundleSide.Edge, [_family]));
        var frame = head.Encode(SplitInput.TokenIds(Sentence(3)));
        var identity = new LatentIdentity { ModelId = "toy-embedding", TablesSha256 = { head.Open!.Identity.TablesSha256 } };

        foreach (uint length in new uint[] { 0, ToyFamily.MaxTokens + 1, frame.LatentLength + 1 })
        {
            var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await client.InferAsync(
                new InferRequest { Payload = ByteString.CopyFrom(frame.Payload), Latent = identity, LatentLength = length }).WithTimeout());
            Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, error.StatusCode);
        }
        var answer = await client.InferAsync(new InferRequest { Payload = ByteString.CopyFrom(frame.Payload), Latent = identity, LatentLength = frame.LatentLength }).WithTimeout();
        Assert.Equal(8, answer.Embedding.Count);
    }

    private static string[] ProtocolOutputs(OutputKind output) =>
        [.. new[] { (OutputKind.Probabilities, "probabilities"), (OutputKind.Embedding, "embedding") }.Where(p => output.HasFlag(p.Item1)).Select(p => p.Item2)];

    private static void AssertClose(float[]? expected, float[]? actual)
    {
        Assert.Equal(expected is null, actual is null);
        if (expected is null)
        {
            return;
        }
        Assert.Equal(expected.Length, actual!.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5, $"element {i}: {actual[i]} where the parts alone give {expected[i]}");
        }
    }
}
