using System.Diagnostics;
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

public sealed class OverloadTests
{
    [Fact]
    public async Task Infer_MoreConcurrentFramesThanTheQueueHolds_RejectsTheRestAtOnceWithResourceExhausted()
    {
        await using var server = await TestServer.StartAsync(options =>
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
            var clock = Stopwatch.StartNew();
            try
            {
                await client.InferAsync(new InferRequest { FrameId = (ulong)i, Payload = ByteString.CopyFrom(payload) });
                return (Status: StatusCode.OK, clock.Elapsed);
            }
            catch (RpcException e)
            {
                return (Status: e.StatusCode, clock.Elapsed);
            }
        }));

        Assert.All(outcomes, o => Assert.Contains(o.Status, new[] { StatusCode.OK, StatusCode.ResourceExhausted }));
        Assert.Contains(outcomes, o => o.Status == StatusCode.ResourceExhausted);
        Assert.Contains(outcomes, o => o.Status == StatusCode.OK);
        var engine = server.App.Services.GetRequiredService<InferenceEngine>();
        Assert.InRange(engine.Queue.Peak, 1, 4);
        Assert.Equal(0, engine.Queue.Pending);
        // Still serving after the burst.
        Assert.NotEmpty((await client.InferAsync(new InferRequest { FrameId = 99, Payload = ByteString.CopyFrom(payload) })).Predictions);
    }
}
