using System.Buffers.Binary;
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

/// <summary>Run against both backends: <see cref="OpenInferenceTestsOnTorch"/> and <see cref="OpenInferenceTestsOnOnnxRuntime"/>.</summary>
public abstract class OpenInferenceTests(ServerFixture server) : FunctionalTest(server.Logs)
{
    private GRPCInferenceService.GRPCInferenceServiceClient Protocol => new(server.Channel);

    private LatentEdgeHead Head()
    {
        return new LatentEdgeHead(SplitModel.Load(server.SplitEdgeDirectory, BundleSide.Edge, server.EdgeFamilies)) { RateLevel = 1 };
    }

    private static ModelInferRequest Request(string model, string input, IReadOnlyList<byte[]> frames, long? rateLevel = null)
    {
        var request = new ModelInferRequest
        {
            ModelName = model,
            Id = "req-1",
            Inputs = { new ModelInferRequest.Types.InferInputTensor { Name = input, Datatype = "BYTES", Shape = { frames.Count, 1 } } },
            RawInputContents = { ProtocolPayloads.Raw(frames) },
        };
        if (rateLevel is { } level)
        {
            request.Parameters["rate_level"] = new InferParameter { Int64Param = level };
        }
        return request;
    }

    [Fact]
    public async Task ModelMetadata_SplitModel_DescribesTheBytesInputAndTheProbabilitiesOutput()
    {
        var metadata = await Protocol.ModelMetadataAsync(new ModelMetadataRequest { Name = "test-entropic" }).WithTimeout();
        Assert.Equal(["1"], metadata.Versions);
        var input = Assert.Single(metadata.Inputs);
        Assert.Equal(("latent", "BYTES"), (input.Name, input.Datatype));
        Assert.Equal([-1L, 1L], input.Shape);
        var output = Assert.Single(metadata.Outputs);
        Assert.Equal(("probabilities", "FP32"), (output.Name, output.Datatype));
        Assert.Equal([-1L, 10L], output.Shape);

        var teacher = await Protocol.ModelMetadataAsync(new ModelMetadataRequest { Name = server.Manifest.ModelId }).WithTimeout();
        Assert.Equal("features", teacher.Inputs.Single().Name);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Protocol.ModelMetadataAsync(new ModelMetadataRequest { Name = "nope" }).WithTimeout());
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task ModelInfer_ThreeLatentsInOneRequest_AnswersWhatTheNativeProtocolAnswers()
    {
        var head = Head();
        var frames = Enumerable.Range(0, 3).Select(i => head.Encode(server.Sample.Image(i)).Payload).ToArray();

        var response = await Protocol.ModelInferAsync(Request("test-entropic", "latent", frames, rateLevel: 1)).WithTimeout();

        Assert.Equal(("test-entropic", "1", "req-1"), (response.ModelName, response.ModelVersion, response.Id));
        var output = Assert.Single(response.Outputs);
        Assert.Equal([3L, 10L], output.Shape);
        var probabilities = ProtocolPayloads.Floats(response.RawOutputContents.Single());
        for (int i = 0; i < frames.Length; i++)
        {
            var native = await server.Client.InferAsync(new InferRequest
            {
                Payload = ByteString.CopyFrom(frames[i]),
                RateLevel = 1,
                TopK = 10,
                Latent = new LatentIdentity { ModelId = "test-entropic", TablesSha256 = { head.Open!.Identity.TablesSha256[1] } },
            }).WithTimeout();
            foreach (var score in native.Predictions)
            {
                Assert.Equal(score.Probability, probabilities[i * 10 + (int)score.ClassId], 5);
            }
        }
    }

    [Fact]
    public async Task ModelInfer_TeacherFeaturesAsTypedBytes_MatchTheLocalTail()
    {
        var payload = LocalTeacher.Head(server.Teacher, server.Manifest, TeacherStage.Stage2, CodecId.Affine8Lz4).Encode(server.Sample.Image(4));
        var request = new ModelInferRequest
        {
            ModelName = server.Manifest.ModelId,
            Inputs =
            {
                new ModelInferRequest.Types.InferInputTensor
                {
                    Name = "features", Datatype = "BYTES", Shape = { 1 },
                    Contents = new InferTensorContents { BytesContents = { ByteString.CopyFrom(payload) } },
                },
            },
        };
        var probabilities = ProtocolPayloads.Floats((await Protocol.ModelInferAsync(request).WithTimeout()).RawOutputContents.Single());
        var expected = LocalTeacher.ProbabilitiesFromPayload(server.Teacher, payload);
        for (int c = 0; c < expected.Length; c++)
        {
            Assert.Equal(expected[c], probabilities[c], 4);
        }
    }

    [Theory]
    [InlineData("wrong-name", StatusCode.InvalidArgument)]
    [InlineData("stale-tables", StatusCode.FailedPrecondition)]
    [InlineData("truncated-raw", StatusCode.InvalidArgument)]
    [InlineData("unknown-model", StatusCode.NotFound)]
    [InlineData("bad-level", StatusCode.InvalidArgument)]
    public async Task ModelInfer_BadRequest_MapsToItsStatus(string problem, StatusCode expected)
    {
        var head = Head();
        var frame = head.Encode(server.Sample.Image(0)).Payload;
        var request = Request(problem == "unknown-model" ? "nope" : "test-entropic", problem == "wrong-name" ? "input0" : "latent", [frame], rateLevel: problem == "bad-level" ? 7 : 1);
        if (problem == "stale-tables")
        {
            request.Parameters["tables_sha256"] = new InferParameter { StringParam = head.Open!.Identity.TablesSha256[0] };
        }
        if (problem == "truncated-raw")
        {
            request.RawInputContents[0] = ByteString.CopyFrom(request.RawInputContents[0].Span[..6]);
        }
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Protocol.ModelInferAsync(request).WithTimeout());
        Assert.Equal(expected, error.StatusCode);
    }

    [Fact]
    public async Task ModelStreamInfer_BadRequestInTheMiddle_IsAnErrorMessageAndTheStreamGoesOn()
    {
        var head = Head();
        using var call = Protocol.ModelStreamInfer();
        var good = Request("test-entropic", "latent", [head.Encode(server.Sample.Image(0)).Payload], rateLevel: 1);
        var bad = Request("test-entropic", "latent", [[1, 2, 3]], rateLevel: 1);
        bad.Id = "bad";
        await call.RequestStream.WriteAsync(good).WithTimeout();
        await call.RequestStream.WriteAsync(bad).WithTimeout();
        await call.RequestStream.WriteAsync(good).WithTimeout();
        await call.RequestStream.CompleteAsync().WithTimeout();

        var answers = new List<ModelStreamInferResponse>();
        await foreach (var answer in call.ResponseStream.ReadAllAsync())
        {
            answers.Add(answer);
        }
        Assert.Equal(3, answers.Count);
        Assert.Equal(2, answers.Count(a => a.ErrorMessage.Length == 0 && a.InferResponse.RawOutputContents.Count == 1));
        var failed = Assert.Single(answers, a => a.ErrorMessage.Length > 0);
        Assert.Equal("bad", failed.InferResponse.Id);
        Assert.StartsWith("InvalidArgument", failed.ErrorMessage);
    }

    [Fact]
    public async Task ServerMetadataAndReadiness_ReportTheServedModels()
    {
        var metadata = await Protocol.ServerMetadataAsync(new ServerMetadataRequest()).WithTimeout();
        Assert.Equal("splitnet", metadata.Name);
        Assert.Contains("statistics", metadata.Extensions);
        Assert.True((await Protocol.ServerLiveAsync(new ServerLiveRequest()).WithTimeout()).Live);
        Assert.True((await Protocol.ServerReadyAsync(new ServerReadyRequest()).WithTimeout()).Ready);
        Assert.True((await Protocol.ModelReadyAsync(new ModelReadyRequest { Name = "test-entropic", Version = "1" }).WithTimeout()).Ready);
        Assert.False((await Protocol.ModelReadyAsync(new ModelReadyRequest { Name = "test-entropic", Version = "2" }).WithTimeout()).Ready);
        var index = await Protocol.RepositoryIndexAsync(new RepositoryIndexRequest()).WithTimeout();
        Assert.Contains(index.Models, m => m.Name == "test-entropic" && m.State == "READY");
    }

    [Fact]
    public async Task Reflection_ListsEveryServiceWithoutProtoFiles()
    {
        using var call = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(server.Channel).ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" }).WithTimeout();
        await call.RequestStream.CompleteAsync().WithTimeout();
        Assert.True(await call.ResponseStream.MoveNext().WithTimeout());
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("inference.GRPCInferenceService", services);
        Assert.Contains("splitnet.v1.SplitInference", services);
        Assert.Contains("grpc.health.v1.Health", services);
        // Read the call to its end: disposing it earlier resets the stream, which the server logs as an error
        // while the next test on this shared server is watching its log.
        Assert.False(await call.ResponseStream.MoveNext().WithTimeout());
    }

    // Each frame is coded at the level the value would wrap to in 32 bits, so only the range check can refuse it.
    [Theory]
    [InlineData(4294967296L, 0u)]
    [InlineData(4294967297L, 1u)]
    [InlineData(long.MinValue, 0u)]
    public async Task ModelInfer_RateLevelOutside32Bits_IsInvalidArgumentNotTruncated(long level, uint wrapsTo)
    {
        var head = Head();
        head.RateLevel = wrapsTo;
        var frame = head.Encode(server.Sample.Image(0)).Payload;

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Protocol.ModelInferAsync(Request("test-entropic", "latent", [frame], rateLevel: level)).WithTimeout());

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Theory]
    [InlineData(10_000_000_000L)]
    [InlineData(long.MaxValue)]
    public async Task ModelInfer_TimeoutOfHours_IsAnsweredNotExpired(long timeoutMicros)
    {
        var request = Request("test-entropic", "latent", [Head().Encode(server.Sample.Image(0)).Payload], rateLevel: 1);
        request.Parameters["timeout"] = new InferParameter { Int64Param = timeoutMicros };

        var response = await Protocol.ModelInferAsync(request).WithTimeout();

        Assert.Equal([1L, 10L], response.Outputs.Single().Shape);
    }

    [Fact]
    public async Task ModelInfer_NegativeTimeout_IsInvalidArgument()
    {
        var request = Request("test-entropic", "latent", [Head().Encode(server.Sample.Image(0)).Payload], rateLevel: 1);
        request.Parameters["timeout"] = new InferParameter { Int64Param = -5 };

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Protocol.ModelInferAsync(request).WithTimeout());

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task ModelInfer_MoreFramesThanARequestMayCarry_IsRefusedAtOnceAndTheLimitIsServed()
    {
        var head = Head();
        var frame = head.Encode(server.Sample.Image(0)).Payload;
        int limit = new SplitNetServerOptions().MaxFramesPerRequest;

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await Protocol.ModelInferAsync(Request("test-entropic", "latent", [.. Enumerable.Repeat(frame, 300)], rateLevel: 1)).WithTimeout());
        var answered = await Protocol.ModelInferAsync(Request("test-entropic", "latent", [.. Enumerable.Repeat(frame, limit)], rateLevel: 1)).WithTimeout();

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains($"at most {limit}", error.Status.Detail);
        Assert.Equal([limit, 10L], answered.Outputs.Single().Shape);
    }

    [Fact]
    public async Task ModelInfer_RawContentsWithMoreElementsThanTheShape_IsInvalidArgument()
    {
        var request = Request("test-entropic", "latent", [[1], [2]], rateLevel: 1);
        request.Inputs[0].Shape.Clear();
        request.Inputs[0].Shape.Add(1);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Protocol.ModelInferAsync(request).WithTimeout());

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("more than the 1 elements", error.Status.Detail);
    }

    [Fact]
    public async Task ModelInfer_ClassificationParameter_IsRefusedNotIgnored()
    {
        var request = Request("test-entropic", "latent", [Head().Encode(server.Sample.Image(0)).Payload], rateLevel: 1);
        var output = new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "probabilities" };
        output.Parameters["classification"] = new InferParameter { Int64Param = 3 };
        request.Outputs.Add(output);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Protocol.ModelInferAsync(request).WithTimeout());

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("classification", error.Status.Detail);
    }

    [Fact]
    public async Task ModelInfer_TwoRawContentsForOneInput_IsRefusedNotIgnored()
    {
        var frame = Head().Encode(server.Sample.Image(0)).Payload;
        var request = Request("test-entropic", "latent", [frame], rateLevel: 1);
        request.RawInputContents.Add(ProtocolPayloads.Raw([frame]));

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Protocol.ModelInferAsync(request).WithTimeout());

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }
}

[Collection(nameof(ServerCollection))]
public sealed class OpenInferenceTestsOnTorch(ServerFixture server) : OpenInferenceTests(server);

[Collection(nameof(OnnxRuntimeServerCollection))]
public sealed class OpenInferenceTestsOnOnnxRuntime(OnnxRuntimeServerFixture server) : OpenInferenceTests(server);
