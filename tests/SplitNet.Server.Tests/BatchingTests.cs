using Google.Protobuf;
using Grpc.Core;
using SplitNet.Codec;
using SplitNet.Contracts.Inference;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Models.Teacher;

namespace SplitNet.Server.Tests;

/// <summary>Run against both backends: <see cref="BatchingTestsOnTorch"/> and <see cref="BatchingTestsOnOnnxRuntime"/>.</summary>
public abstract class BatchingTests(ServerFixture server) : FunctionalTest(server.Logs)
{
    private GRPCInferenceService.GRPCInferenceServiceClient Protocol => new(server.Channel);

    private async Task<(ulong Inferences, ulong Executions, Dictionary<ulong, ulong> Batches)> StatisticsAsync(string model)
    {
        var stats = (await Protocol.ModelStatisticsAsync(new ModelStatisticsRequest { Name = model }).WithTimeout()).ModelStats.Single();
        return (stats.InferenceCount, stats.ExecutionCount, stats.BatchStats.ToDictionary(b => b.BatchSize, b => b.ComputeInfer.Count));
    }

    [Fact]
    public async Task InferStream_TwelveConcurrentLatentStreams_AreBatchedTogetherAndEachFrameIsAnsweredOnce()
    {
        var head = new LatentEdgeHead(SplitModel.Load(server.SplitEdgeDirectory, BundleSide.Edge, server.EdgeFamilies));
        var frames = Enumerable.Range(0, 20).Select(i => head.Encode(server.Sample.Image(i)).Payload).ToArray();
        var expected = frames.Select((_, i) => LocalTeacher.ArgMax(server.LocalSplitProbabilities(0, i))).ToArray();
        var before = await StatisticsAsync("test-entropic").WithTimeout();

        const int streams = 12;
        var answers = await Task.WhenAll(Enumerable.Range(0, streams).Select(async s =>
        {
            using var call = server.Client.InferStream();
            await call.RequestStream.WriteAsync(new InferRequest { Open = head.Open }).WithTimeout();
            var reading = Task.Run(async () =>
            {
                var received = new List<InferResponse>();
                await foreach (var answer in call.ResponseStream.ReadAllAsync())
                {
                    received.Add(answer);
                }
                return received;
            });
            for (int i = 0; i < frames.Length; i++)
            {
                await call.RequestStream.WriteAsync(new InferRequest { FrameId = (ulong)(s * 1000 + i), Payload = ByteString.CopyFrom(frames[i]) }).WithTimeout();
            }
            await call.RequestStream.CompleteAsync().WithTimeout();
            return (Stream: s, Answers: await reading.WithTimeout());
        })).WithTimeout();

        foreach (var (s, received) in answers)
        {
            Assert.Equal(Enumerable.Range(0, frames.Length).Select(i => (ulong)(s * 1000 + i)), received.Select(a => a.FrameId).Order());
            Assert.All(received, a => Assert.Null(a.Error));
            Assert.All(received, a => Assert.Equal(expected[(int)(a.FrameId % 1000)], (int)a.Predictions[0].ClassId));
        }
        var after = await StatisticsAsync("test-entropic").WithTimeout();
        Assert.Equal((ulong)(streams * frames.Length), after.Inferences - before.Inferences);
        Assert.True(after.Executions - before.Executions < after.Inferences - before.Inferences,
            $"{after.Inferences - before.Inferences} frames ran in {after.Executions - before.Executions} executions: nothing was batched");
        Assert.Contains(after.Batches.Keys, size => size > 1);
        Assert.All(after.Batches.Keys, size => Assert.InRange(size, 1ul, 16ul));
    }

    [Fact]
    public async Task Infer_FrameBudgetRunsOutWhileQueued_IsDeadlineExceededAndNeverComputed()
    {
        var payload = LocalTeacher.Head(server.Teacher, server.Manifest, TeacherStage.Stage1, CodecId.Affine8Lz4).Encode(server.Sample.Image(0));
        var before = await StatisticsAsync(server.Manifest.ModelId).WithTimeout();

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.InferAsync(new InferRequest { FrameId = 1, Payload = ByteString.CopyFrom(payload), TimeoutMicros = 1 }).WithTimeout());

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Contains("not computed", error.Status.Detail);
        Assert.Equal(before.Inferences, (await StatisticsAsync(server.Manifest.ModelId).WithTimeout()).Inferences);
        var answer = await server.Client.InferAsync(new InferRequest { FrameId = 2, Payload = ByteString.CopyFrom(payload), TimeoutMicros = 10_000_000 }).WithTimeout();
        Assert.NotEmpty(answer.Predictions);
    }

    [Fact]
    public async Task Infer_CallDeadlineShorterThanTheQueueDelay_IsDeadlineExceeded()
    {
        var payload = LocalTeacher.Head(server.Teacher, server.Manifest, TeacherStage.Stage1, CodecId.Affine8Lz4).Encode(server.Sample.Image(0));
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.InferAsync(new InferRequest { FrameId = 1, Payload = ByteString.CopyFrom(payload) }, deadline: DateTime.UtcNow.AddTicks(1)).WithTimeout());
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task Infer_TruncatedFeaturePayload_IsInvalidArgument()
    {
        var payload = LocalTeacher.Head(server.Teacher, server.Manifest, TeacherStage.Stage2, CodecId.Affine8Lz4).Encode(server.Sample.Image(0));
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.InferAsync(new InferRequest { FrameId = 1, Payload = ByteString.CopyFrom(payload[..(payload.Length / 2)]) }).WithTimeout());
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

}

[Collection(nameof(ServerCollection))]
public sealed class BatchingTestsOnTorch(ServerFixture server) : BatchingTests(server);

[Collection(nameof(OnnxRuntimeServerCollection))]
public sealed class BatchingTestsOnOnnxRuntime(OnnxRuntimeServerFixture server) : BatchingTests(server);
