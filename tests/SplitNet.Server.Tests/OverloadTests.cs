using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using SplitNet.Codec;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Models.Bundles;
using SplitNet.Models.Teacher;
using SplitNet.Server.Inference;

namespace SplitNet.Server.Tests;

public sealed class OverloadTests : FunctionalTest
{
    [Fact]
    public async Task Infer_MoreConcurrentFramesThanTheQueueHolds_RejectsTheRestAtOnceWithResourceExhausted()
    {
        await using var server = await StartServerAsync(options =>
        {
            options.Models = [ServerFixture.TeacherDirectory];
            options.QueueCapacity = 4;
            options.MaxBatchSize = 1;
            options.MaxQueueDelayMicroseconds = 0;
        });
        var (teacher, manifest) = TeacherBundle.Load(ServerFixture.TeacherDirectory);
        using var _ = teacher;
        var payload = LocalTeacher.Head(teacher, manifest, TeacherStage.Stem, CodecId.RawFloat32).Encode(new byte[28 * 28]);
        using var channel = server.Channel();
        var client = new SplitInference.SplitInferenceClient(channel);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 64).Select(async i =>
        {
            try
            {
                await client.InferAsync(new InferRequest { FrameId = (ulong)i, Payload = ByteString.CopyFrom(payload) }).WithTimeout();
                return StatusCode.OK;
            }
            catch (RpcException e)
            {
                return e.StatusCode;
            }
        })).WithTimeout();

        Assert.All(outcomes, o => Assert.Contains(o, new[] { StatusCode.OK, StatusCode.ResourceExhausted }));
        Assert.Contains(StatusCode.ResourceExhausted, outcomes);
        Assert.Contains(StatusCode.OK, outcomes);
        var engine = server.App.Services.GetRequiredService<InferenceEngine>();
        Assert.InRange(engine.Queue.Peak, 1, 4);
        Assert.Equal(0, engine.Queue.Pending);
        // Still serving after the burst.
        Assert.NotEmpty((await client.InferAsync(new InferRequest { FrameId = 99, Payload = ByteString.CopyFrom(payload) }).WithTimeout()).Predictions);
    }
}
