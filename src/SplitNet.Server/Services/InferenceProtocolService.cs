using System.Buffers.Binary;
using System.Reflection;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;
using SplitNet.Server.Inference;
using SplitNet.Server.Serving;
using SplitNet.Contracts.Inference;

namespace SplitNet.Server.Services;

/// <summary>
/// The Open Inference Protocol (KServe v2 <c>inference.GRPCInferenceService</c>) with Triton's
/// streaming, statistics and repository extensions. A frame is one element of the BYTES input
/// (<c>latent</c> for a split model, <c>features</c> for a teacher; <c>latent_length</c> beside it
/// for a variable latent); the answer is the FP32 outputs <c>probabilities</c> and/or
/// <c>embedding</c>, as the model has them. Tensor names and parameters are documented in protos/README.md.
/// </summary>
internal sealed class InferenceProtocolService(
    FrameProcessor processor,
    ModelRegistry registry,
    ModelManager manager,
    ServerHealth health,
    Deadlines deadlines,
    ServerDrain drain,
    IOptions<SplitNetServerOptions> options) : GRPCInferenceService.GRPCInferenceServiceBase
{
    public const string LatentInput = "latent";
    public const string FeaturesInput = "features";

    private static readonly string ServerVersion =
        typeof(InferenceProtocolService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";

    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = health.Serving });

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ModelReadyResponse { Ready = health.Serving && registry.Find(request.Name, ParseVersion(request.Version)) is not null });

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerMetadataResponse { Name = "splitnet", Version = ServerVersion, Extensions = { "model_repository", "statistics" } });

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        var model = Find(request.Name, request.Version);
        var response = new ModelMetadataResponse
        {
            Name = model.Id,
            Versions = { registry.Versions(model.Id).Select(v => v.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)) },
            Platform = model switch { ServedSplitModel => "splitnet_split_model", ServedOnnxSplit => "splitnet_onnx_split", _ => "splitnet_teacher" },
        };
        response.Inputs.Add(new ModelMetadataResponse.Types.TensorMetadata
        {
            Name = model is ServedSplitModel ? LatentInput : FeaturesInput,
            Datatype = "BYTES",
            Shape = { -1, 1 },
        });
        if (model is ServedSplitModel { Latent.IsVariable: true })
        {
            response.Inputs.Add(new ModelMetadataResponse.Types.TensorMetadata { Name = ProtocolTensors.LatentLengthInput, Datatype = "INT32", Shape = { -1 } });
        }
        foreach (var output in ProtocolNames.Outputs(model.Output))
        {
            response.Outputs.Add(new ModelMetadataResponse.Types.TensorMetadata { Name = output, Datatype = "FP32", Shape = { -1, OutputSize(model, output) } });
        }
        return Task.FromResult(response);
    }

    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        try
        {
            return await InferAsync(request, context).ConfigureAwait(false);
        }
        catch (FrameException e)
        {
            throw new RpcException(new Status(e.Status, e.Message));
        }
    }

    public override async Task ModelStreamInfer(IAsyncStreamReader<ModelInferRequest> requests, IServerStreamWriter<ModelStreamInferResponse> responses, ServerCallContext context)
    {
        using var open = drain.Enter();
        await StreamPump.RunAsync(requests, responses, context, options.Value.MaxInFlightPerStream, options.Value.StreamIdle, drain.Draining,
            (request, _) => StreamAnswerAsync(request, context)).ConfigureAwait(false);
    }

    public override Task<ModelStatisticsResponse> ModelStatistics(ModelStatisticsRequest request, ServerCallContext context)
    {
        var models = request.Name.Length == 0
            ? registry.All
            : registry.Versions(request.Name).Where(m => request.Version.Length == 0 || m.Version == ParseVersion(request.Version));
        var response = new ModelStatisticsResponse();
        response.ModelStats.AddRange(models.Select(ProtocolStatistics.Describe));
        if (request.Name.Length > 0 && response.ModelStats.Count == 0)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"model {ClientText.Echo(request.Name)} {ClientText.Echo(request.Version)} is not served here"));
        }
        return Task.FromResult(response);
    }

    public override Task<RepositoryIndexResponse> RepositoryIndex(RepositoryIndexRequest request, ServerCallContext context)
    {
        var response = new RepositoryIndexResponse();
        var served = registry.All.ToList();
        if (manager.Repository is { } repository)
        {
            foreach (var (name, version, _) in ModelBundles.Scan(repository))
            {
                bool ready = served.Any(m => m.Id == name && m.Version == version);
                if (!request.Ready || ready)
                {
                    response.Models.Add(new RepositoryIndexResponse.Types.ModelIndex { Name = name, Version = $"{version}", State = ready ? "READY" : "UNAVAILABLE" });
                }
            }
        }
        foreach (var model in served.Where(m => !response.Models.Any(i => i.Name == m.Id && i.Version == $"{m.Version}")))
        {
            response.Models.Add(new RepositoryIndexResponse.Types.ModelIndex { Name = model.Id, Version = $"{model.Version}", State = "READY" });
        }
        return Task.FromResult(response);
    }

    public override async Task<RepositoryModelLoadResponse> RepositoryModelLoad(RepositoryModelLoadRequest request, ServerCallContext context)
    {
        try
        {
            await manager.LoadAsync(request.ModelName, context.CancellationToken).ConfigureAwait(false);
            return new RepositoryModelLoadResponse();
        }
        catch (InvalidOperationException e)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, e.Message));
        }
        catch (IOException e)
        {
            throw new RpcException(new Status(e is DirectoryNotFoundException or FileNotFoundException ? StatusCode.NotFound : StatusCode.InvalidArgument, e.Message));
        }
    }

    public override async Task<RepositoryModelUnloadResponse> RepositoryModelUnload(RepositoryModelUnloadRequest request, ServerCallContext context)
    {
        var removed = await manager.UnloadAsync(request.ModelName, context.CancellationToken).ConfigureAwait(false);
        return removed.Count > 0
            ? new RepositoryModelUnloadResponse()
            : throw new RpcException(new Status(StatusCode.NotFound, $"model {ClientText.Echo(request.ModelName)} is not served here"));
    }

    private async Task<ModelStreamInferResponse> StreamAnswerAsync(ModelInferRequest request, ServerCallContext context)
    {
        try
        {
            return new ModelStreamInferResponse { InferResponse = await InferAsync(request, context).ConfigureAwait(false) };
        }
        catch (FrameException e)
        {
            return new ModelStreamInferResponse { ErrorMessage = $"{e.Status}: {e.Message}", InferResponse = new ModelInferResponse { Id = request.Id, ModelName = request.ModelName } };
        }
        catch (Exception e)
        {
            return new ModelStreamInferResponse { ErrorMessage = $"{StatusCode.Internal}: {e.Message}", InferResponse = new ModelInferResponse { Id = request.Id, ModelName = request.ModelName } };
        }
    }

    private async Task<ModelInferResponse> InferAsync(ModelInferRequest request, ServerCallContext context)
    {
        long version = ParseVersion(request.ModelVersion);
        var model = registry.Find(request.ModelName, version)
            ?? throw new FrameException(StatusCode.NotFound, $"model {ClientText.Echo(request.ModelName)} {ClientText.Echo(request.ModelVersion)} is not served here");
        var served = ProtocolNames.Outputs(model.Output).ToList();
        if (request.Outputs.FirstOrDefault(o => !served.Contains(o.Name)) is { } unknown)
        {
            throw new FrameException(StatusCode.InvalidArgument, $"'{model.Id}' has no output {ClientText.Echo(unknown.Name)}; it answers {string.Join(", ", served.Select(o => $"'{o}'"))}");
        }
        if (request.Outputs.FirstOrDefault(o => o.Parameters.ContainsKey("classification")) is { } classification)
        {
            throw new FrameException(StatusCode.InvalidArgument,
                $"output {ClientText.Echo(classification.Name)} asks for Triton's classification extension, which SplitNet does not implement; request '{ProtocolNames.Probabilities}' and take the best classes");
        }
        var outputs = request.Outputs.Count == 0 ? served : [.. request.Outputs.Select(o => o.Name).Distinct()];
        var split = model as ServedSplitModel;
        var (frames, lengths) = ProtocolTensors.ReadFrames(request, split is not null ? LatentInput : FeaturesInput, split?.Latent.IsVariable ?? false,
            options.Value.MaxFramesPerRequest);
        int level = ProtocolTensors.Int32Parameter(request, "rate_level") ?? split?.Manifest.DefaultLevel ?? 0;
        string? tables = ProtocolTensors.StringParameter(request, "tables_sha256");
        long timeout = ProtocolTensors.Int64Parameter(request, "timeout") ?? 0;
        if (timeout < 0)
        {
            throw new FrameException(StatusCode.InvalidArgument, $"parameter 'timeout' is {timeout} µs; a budget is 0 (none) or more");
        }
        long deadline = deadlines.For(context, timeout);
        var kind = split is not null ? FrameKind.Latent : FrameKind.Features;
        processor.Admit(deadline, frames.Count);
        var answers = await Task.WhenAll(frames.Select((payload, i) =>
            processor.RunAsync(new FrameInput(kind, model.Id, version, payload, level, tables, deadline, lengths[i]), context.CancellationToken))).ConfigureAwait(false);
        var response = new ModelInferResponse
        {
            ModelName = model.Id,
            ModelVersion = $"{answers.FirstOrDefault()?.Version ?? model.Version}",
            Id = request.Id,
        };
        foreach (var output in outputs)
        {
            int size = OutputSize(model, output);
            var raw = new byte[answers.Length * size * sizeof(float)];
            for (int i = 0; i < answers.Length; i++)
            {
                var values = output == ProtocolNames.Embedding ? answers[i].Output.Embedding! : answers[i].Output.Probabilities!;
                for (int k = 0; k < size; k++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan((i * size + k) * sizeof(float)), values[k]);
                }
            }
            response.Outputs.Add(new ModelInferResponse.Types.InferOutputTensor { Name = output, Datatype = "FP32", Shape = { answers.Length, size } });
            response.RawOutputContents.Add(UnsafeByteOperations.UnsafeWrap(raw));
        }
        return response;
    }

    private static int OutputSize(ServedModel model, string output) => output == ProtocolNames.Embedding ? model.EmbeddingSize : model.Labels.Count;

    private ServedModel Find(string name, string version) =>
        registry.Find(name, ParseVersion(version)) ?? throw new RpcException(new Status(StatusCode.NotFound, $"model {ClientText.Echo(name)} {ClientText.Echo(version)} is not served here"));

    private static long ParseVersion(string version) =>
        version.Length == 0 ? 0
        : long.TryParse(version, System.Globalization.CultureInfo.InvariantCulture, out long v) && v > 0 ? v
        : throw new RpcException(new Status(StatusCode.InvalidArgument, $"model version {ClientText.Echo(version)} is not a positive integer"));
}
