using Google.Protobuf;
using Grpc.Core;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using static TorchSharp.torch;

namespace SplitNet.Server.Tests;

/// <summary>Run against both backends: <see cref="LatentStreamTestsOnTorch"/> and <see cref="LatentStreamTestsOnOnnxRuntime"/>.</summary>
public abstract class LatentStreamTests(ServerFixture server) : FunctionalTest(server.Logs)
{
    private LatentEdgeHead EdgeHead()
    {
        return new LatentEdgeHead(SplitModel.Load(server.SplitEdgeDirectory, BundleSide.Edge, server.EdgeFamilies));
    }

    private float[] LocalProbabilities(int level, int image) => server.LocalSplitProbabilities(level, image);

    [Fact]
    public async Task InferStream_TwoRateLevels_AnswerAsTheWholeStudentWouldLocally()
    {
        var head = EdgeHead();
        await using var session = new StreamingSession(server.Client, 8, head.Open);
        var sent = new List<(int Image, uint Level, Task<InferResponse> Answer, int Bytes)>();
        for (int i = 0; i < 40; i++)
        {
            head.RateLevel = (uint)(i % 2);
            var frame = head.Encode(server.Sample.Image(i));
            sent.Add((i, frame.RateLevel, await session.SendAsync((ulong)i, frame.Payload, frame.RateLevel).WithTimeout(), frame.Payload.Length));
        }
        await session.CompleteAsync().WithTimeout();

        foreach (var (image, level, answer, bytes) in sent)
        {
            var response = await answer.WithTimeout();
            Assert.Null(response.Error);
            var expected = LocalProbabilities((int)level, image);
            Assert.Equal(Array.IndexOf(expected, expected.Max()), (int)response.Predictions[0].ClassId);
            Assert.Equal(expected.Max(), response.Predictions[0].Probability, 4);
            // Per-frame framing on a latent stream: frame id, rate level and the payload's tag and length.
            var message = new InferRequest { FrameId = (ulong)image, RateLevel = level, Payload = ByteString.CopyFrom(new byte[bytes]) };
            Assert.InRange(message.CalculateSize() - bytes, 2, 8);
        }
    }

    [Fact]
    public async Task InferStream_OpenedWithStaleTables_FailsWithFailedPrecondition()
    {
        var head = EdgeHead();
        var stale = head.Open!.Clone();
        stale.Identity.TablesSha256[1] = new string('a', 64);
        using var call = server.Client.InferStream();
        await call.RequestStream.WriteAsync(new InferRequest { Open = stale }).WithTimeout();

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext()).WithTimeout();
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("rate level 1", error.Status.Detail);
    }

    [Fact]
    public async Task Infer_UnaryLatent_ChecksTheTableHashAndTheLevel()
    {
        var head = EdgeHead();
        var frame = head.Encode(server.Sample.Image(2));
        var good = new InferRequest
        {
            FrameId = 7,
            Payload = ByteString.CopyFrom(frame.Payload),
            Latent = new LatentIdentity { ModelId = "test-entropic", TablesSha256 = { head.Open!.Identity.TablesSha256[0] } },
        };
        var answer = await server.Client.InferAsync(good).WithTimeout();
        var expected = LocalProbabilities(0, 2);
        Assert.Equal(Array.IndexOf(expected, expected.Max()), (int)answer.Predictions[0].ClassId);

        var stale = good.Clone();
        stale.Latent.TablesSha256[0] = head.Open.Identity.TablesSha256[1];
        var error = await Assert.ThrowsAsync<RpcException>(async () => await server.Client.InferAsync(stale).WithTimeout());
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);

        var badLevel = good.Clone();
        badLevel.RateLevel = 5;
        error = await Assert.ThrowsAsync<RpcException>(async () => await server.Client.InferAsync(badLevel).WithTimeout());
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);

        var unknown = good.Clone();
        unknown.Latent.ModelId = "nope";
        error = await Assert.ThrowsAsync<RpcException>(async () => await server.Client.InferAsync(unknown).WithTimeout());
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task InferStream_CorruptLatent_FailsThatFrameOnly()
    {
        var head = EdgeHead();
        await using var session = new StreamingSession(server.Client, 4, head.Open);
        var good = head.Encode(server.Sample.Image(3)).Payload;
        var corrupt = await session.SendAsync(1, good[..^1]).WithTimeout();
        var fine = await session.SendAsync(2, good).WithTimeout();
        await session.CompleteAsync().WithTimeout();

        Assert.Equal((int)StatusCode.InvalidArgument, (await corrupt.WithTimeout()).Error.Code);
        Assert.Contains("corrupt latent", (await corrupt.WithTimeout()).Error.Message);
        Assert.NotEmpty((await fine.WithTimeout()).Predictions);
    }

    [Fact]
    public async Task GetModel_SplitModel_ListsRateLevelsWithTheirTables()
    {
        var info = await server.Client.GetModelAsync(new GetModelRequest { ModelId = "test-entropic" }).WithTimeout();
        Assert.Equal("compact", info.LatentStream);
        Assert.Equal(2, info.RateLevels.Count);
        Assert.Equal(server.SplitLevels[1].Bottleneck.Table.Hash, info.RateLevels[1].TablesSha256);
        Assert.Equal([4u, 7u, 7u], info.RateLevels[0].LatentShape);
    }
}

[Collection(nameof(ServerCollection))]
public sealed class LatentStreamTestsOnTorch(ServerFixture server) : LatentStreamTests(server);

[Collection(nameof(OnnxRuntimeServerCollection))]
public sealed class LatentStreamTestsOnOnnxRuntime(OnnxRuntimeServerFixture server) : LatentStreamTests(server);
