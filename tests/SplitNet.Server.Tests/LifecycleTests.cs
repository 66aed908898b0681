using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using SplitNet.Codec;
using SplitNet.Contracts.Inference;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Models.Bundles;
using SplitNet.Models.Teacher;

namespace SplitNet.Server.Tests;

public sealed class LifecycleTests : FunctionalTest
{
    private readonly string _repository = Path.Combine(Path.GetTempPath(), $"splitnet-repo-{Guid.NewGuid():N}");
    private readonly TeacherNet _teacher;
    private readonly TeacherManifest _manifest;

    public LifecycleTests() => (_teacher, _manifest) = TeacherBundle.Load(ServerFixture.TeacherDirectory);

    private byte[] Payload(int seed) =>
        LocalTeacher.Head(_teacher, _manifest, TeacherStage.Stage2, CodecId.Affine8Lz4).Encode(Enumerable.Range(0, 784).Select(i => (byte)(i * seed)).ToArray());

    /// <summary>Copies the shipped teacher into the repository as <paramref name="version"/>, its manifest saying so.</summary>
    private void AddVersion(int version)
    {
        var target = Path.Combine(_repository, _manifest.ModelId, $"{version}");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(ServerFixture.TeacherDirectory))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        var manifestPath = Path.Combine(target, TeacherBundle.ManifestFile);
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        manifest["version"] = version;
        File.WriteAllText(manifestPath, manifest.ToJsonString());
    }

    [Fact]
    public async Task Health_IsNotServingDuringWarmUpAndServingAfter()
    {
        await using var server = await StartServerAsync(options =>
        {
            options.Models = [ServerFixture.TeacherDirectory];
            options.MaxBatchSize = 64;
            options.WarmUpRounds = 20;
        }, waitUntilReady: false);
        using var channel = server.Channel();
        var health = new Health.HealthClient(channel);
        var protocol = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest()).WithTimeout()).Status);
        Assert.False((await protocol.ServerReadyAsync(new ServerReadyRequest()).WithTimeout()).Ready);
        Assert.True((await protocol.ServerLiveAsync(new ServerLiveRequest()).WithTimeout()).Live);
        var early = await Assert.ThrowsAsync<RpcException>(async () =>
            await new SplitInference.SplitInferenceClient(channel).InferAsync(new InferRequest { Payload = ByteString.CopyFrom(Payload(1)) }));
        Assert.Equal(StatusCode.Unavailable, early.StatusCode);

        await server.App.WhenReadyAsync().WithTimeout();

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest()).WithTimeout()).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = "inference.GRPCInferenceService" }).WithTimeout()).Status);
        Assert.True((await protocol.ServerReadyAsync(new ServerReadyRequest()).WithTimeout()).Ready);
    }

    [Fact]
    public async Task RepositoryLoad_NewVersionSwappedInAndOldUnloadedUnderLoad_NoFrameFails()
    {
        AddVersion(1);
        await using var server = await StartServerAsync(options => options.ModelRepository = _repository);
        using var channel = server.Channel();
        var client = new SplitInference.SplitInferenceClient(channel);
        var protocol = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var payloads = Enumerable.Range(1, 8).Select(Payload).ToArray();
        var swapped = new TaskCompletionSource();

        var load = Enumerable.Range(0, 6).Select(async s =>
        {
            await using var session = new StreamingSession(client, window: 8);
            var answers = new List<Task<InferResponse>>();
            int afterSwap = 0;
            while (afterSwap < 30)
            {
                answers.Add(await session.SendAsync((ulong)answers.Count, payloads[answers.Count % payloads.Length]).WithTimeout());
                afterSwap += swapped.Task.IsCompleted ? 1 : 0;
                await Task.Delay(2);
            }
            await session.CompleteAsync().WithTimeout();
            return (Sent: answers.Count, Answers: await Task.WhenAll(answers).WithTimeout());
        }).ToArray();

        await Task.Delay(200);
        AddVersion(2);
        await protocol.RepositoryModelLoadAsync(new RepositoryModelLoadRequest { ModelName = _manifest.ModelId }).WithTimeout();
        Directory.Delete(Path.Combine(_repository, _manifest.ModelId, "1"), recursive: true);
        await protocol.RepositoryModelLoadAsync(new RepositoryModelLoadRequest { ModelName = _manifest.ModelId }).WithTimeout();
        swapped.SetResult();
        var streams = await Task.WhenAll(load).WithTimeout();

        foreach (var (sent, answers) in streams)
        {
            Assert.Equal(Enumerable.Range(0, sent).Select(i => (ulong)i), answers.Select(a => a.FrameId).Order());
            Assert.All(answers, a => Assert.Null(a.Error));
        }
        Assert.False((await protocol.ModelReadyAsync(new ModelReadyRequest { Name = _manifest.ModelId, Version = "1" }).WithTimeout()).Ready);
        Assert.True((await protocol.ModelReadyAsync(new ModelReadyRequest { Name = _manifest.ModelId, Version = "2" }).WithTimeout()).Ready);
        var v2 = await protocol.ModelStatisticsAsync(new ModelStatisticsRequest { Name = _manifest.ModelId, Version = "2" }).WithTimeout();
        Assert.True(v2.ModelStats.Single().InferenceCount >= 6 * 30, "version 2 answered the frames sent after the swap");
        Assert.True(v2.ModelStats.Single().InferenceCount <= (ulong)streams.Sum(s => s.Sent), "warm-up runs are not counted as traffic");

        await protocol.RepositoryModelUnloadAsync(new RepositoryModelUnloadRequest { ModelName = _manifest.ModelId }).WithTimeout();
        var gone = await Assert.ThrowsAsync<RpcException>(async () => await client.InferAsync(new InferRequest { Payload = ByteString.CopyFrom(payloads[0]) }).WithTimeout());
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Shutdown_AnswersEveryFrameItReadAndEndsTheStreamWithUnavailable()
    {
        var server = await StartServerAsync(options => options.Models = [ServerFixture.TeacherDirectory]);
        using var channel = server.Channel();
        using var call = new SplitInference.SplitInferenceClient(channel).InferStream();
        for (int i = 0; i < 20; i++)
        {
            await call.RequestStream.WriteAsync(new InferRequest { FrameId = (ulong)i, Payload = ByteString.CopyFrom(Payload(i + 1)) }).WithTimeout();
        }
        var answered = new List<ulong>();
        while (answered.Count < 20 && await call.ResponseStream.MoveNext().WithTimeout())
        {
            answered.Add(call.ResponseStream.Current.FrameId);
        }

        var stopping = server.DisposeAsync();
        var end = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext()).WithTimeout();
        await stopping.WithTimeout();

        Assert.Equal(Enumerable.Range(0, 20).Select(i => (ulong)i), answered.Order());
        Assert.True(end.StatusCode == StatusCode.Unavailable, end.Status.ToString() + " " + end.Status.DebugException);
        Assert.Contains("shutting down", end.Status.Detail);
    }

    public override void Dispose()
    {
        _teacher.Dispose();
        if (Directory.Exists(_repository))
        {
            Directory.Delete(_repository, recursive: true);
        }
        base.Dispose();
    }
}
