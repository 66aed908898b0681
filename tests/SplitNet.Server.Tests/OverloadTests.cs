using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using SplitNet.Codec;
using SplitNet.Contracts.Inference;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Models.Bundles;
using SplitNet.Models.Teacher;
using SplitNet.Server.Inference;

namespace SplitNet.Server.Tests;

public sealed class OverloadTests : FunctionalTest
{
    /// <summary>The shipped teacher's payload for a blank image, cut after <paramref name="split"/>, the feature's shape and the model's id.</summary>
    private static (byte[] Payload, TensorShape Shape, string ModelId) Blank(TeacherStage split, CodecId codec)
    {
        var (teacher, manifest) = TeacherBundle.Load(ServerFixture.TeacherDirectory);
        using var _ = teacher;
        var head = LocalTeacher.Head(teacher, manifest, split, codec);
        return (head.Encode(new byte[28 * 28]), head.FeatureShape, manifest.ModelId);
    }

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
        var (payload, _, _) = Blank(TeacherStage.Stem, CodecId.RawFloat32);
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

    [Fact]
    public async Task Infer_DecodedFramesBeyondTheServersBudget_AreRefusedBeforeDecodingAndTheBudgetComesBack()
    {
        // Stem features in float32: the budget holds two, and a batch waits a second for more
        // frames, so two frames are held while the third arrives.
        var (payload, shape, _) = Blank(TeacherStage.Stem, CodecId.RawFloat32);
        // A frame's buffer comes from a pool in power-of-two lengths; that is what it reserves.
        long frameBytes = 4L * (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)shape.ElementCount);
        await using var server = await StartServerAsync(options =>
        {
            options.Models = [ServerFixture.TeacherDirectory];
            options.MaxDecodedBytesInFlight = 2 * frameBytes;
            options.MaxBatchSize = 8;
            options.MaxQueueDelayMicroseconds = 1_000_000;
        });
        using var channel = server.Channel();
        var client = new SplitInference.SplitInferenceClient(channel);
        var budget = server.App.Services.GetRequiredService<DecodeBudget>();
        Task<InferResponse> Send(int id) => client.InferAsync(new InferRequest { FrameId = (ulong)id, Payload = ByteString.CopyFrom(payload) }).ResponseAsync;

        var held = new[] { Send(1), Send(2) };
        await Task.Run(async () =>
        {
            while (budget.Used < 2 * frameBytes)
            {
                await Task.Delay(10);
            }
        }).WithTimeout();
        var refused = await Assert.ThrowsAsync<RpcException>(() => Send(3).WithTimeout());

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("decoded frames", refused.Status.Detail);
        await Task.WhenAll(held).WithTimeout();
        Assert.Equal(0, budget.Used);
        Assert.NotEmpty((await Send(4).WithTimeout()).Predictions);
    }

    [Fact]
    public async Task ModelInfer_MoreFramesThanTheQueueHasRoomFor_IsRefusedAsAWholeBeforeAnyIsQueued()
    {
        await using var server = await StartServerAsync(options =>
        {
            options.Models = [ServerFixture.TeacherDirectory];
            options.QueueCapacity = 80;
            options.MaxBatchSize = 128;
            options.MaxQueueDelayMicroseconds = 1_000_000;
        });
        var (payload, _, model) = Blank(TeacherStage.Stage2, CodecId.Affine8Lz4);
        using var channel = server.Channel();
        var protocol = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var queue = server.App.Services.GetRequiredService<InferenceEngine>().Queue;
        ModelInferRequest Request(int frames) => new()
        {
            ModelName = model,
            Inputs = { new ModelInferRequest.Types.InferInputTensor { Name = "features", Datatype = "BYTES", Shape = { frames, 1 } } },
            RawInputContents = { ProtocolPayloads.Raw(Enumerable.Repeat(payload, frames)) },
        };

        var held = protocol.ModelInferAsync(Request(40)).ResponseAsync;
        await Task.Run(async () =>
        {
            while (queue.Pending < 40)
            {
                await Task.Delay(10);
            }
        }).WithTimeout();
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await protocol.ModelInferAsync(Request(64)).WithTimeout());

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Equal(40, queue.Pending);
        Assert.Equal(40, (await held.WithTimeout()).Outputs.Single().Shape[0]);
    }

    [Fact]
    public async Task InferStream_FramesBeyondTheQueue_AreRefusedAtOnceWhileTheQueuedOnesAreAnswered()
    {
        await using var server = await StartServerAsync(options =>
        {
            options.Models = [ServerFixture.TeacherDirectory];
            options.QueueCapacity = 4;
            options.MaxBatchSize = 64;
            options.MaxQueueDelayMicroseconds = 1_000_000;
        });
        var payload = ByteString.CopyFrom(Blank(TeacherStage.Stage2, CodecId.Affine8Lz4).Payload);
        using var channel = server.Channel();
        using var call = new SplitInference.SplitInferenceClient(channel).InferStream();

        for (ulong id = 1; id <= 10; id++)
        {
            await call.RequestStream.WriteAsync(new InferRequest { FrameId = id, Payload = payload }).WithTimeout();
        }
        await call.RequestStream.CompleteAsync().WithTimeout();
        var answers = new List<InferResponse>();
        await Task.Run(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                answers.Add(call.ResponseStream.Current);
            }
        }).WithTimeout();

        Assert.Equal(10, answers.Count);
        var refused = answers.Where(a => a.Error is not null).ToArray();
        Assert.Equal(6, refused.Length);
        Assert.All(refused, a => Assert.Equal((int)StatusCode.ResourceExhausted, a.Error.Code));
        Assert.All(refused, a => Assert.Contains("queue is full", a.Error.Message));
        // Refusals are answered at once: before any of the four queued frames, which wait for the batch.
        Assert.All(answers.Take(6), a => Assert.NotNull(a.Error));
        Assert.All(answers.Skip(6), a => Assert.NotEmpty(a.Predictions));
    }
}
