using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SplitNet.Codec;
using SplitNet.Codec.Entropy;
using SplitNet.Contracts.V1;
using SplitNet.Models.Split;
using SplitNet.Server.Inference;
using SplitNet.Server.Serving;
using SplitNet.Server.Telemetry;

namespace SplitNet.Server.Services;

/// <summary>The native <c>splitnet.v1.SplitInference</c> service.</summary>
internal sealed class SplitInferenceService(
    FrameProcessor processor,
    ModelRegistry registry,
    Deadlines deadlines,
    ServerDrain drain,
    IOptions<SplitNetServerOptions> options,
    ClientLogThrottles throttles,
    ServerMetrics metrics,
    ILogger<SplitInferenceService> logger) : SplitInference.SplitInferenceBase
{
    public override async Task<InferResponse> Infer(InferRequest request, ServerCallContext context)
    {
        try
        {
            FrameInput frame;
            if (request.Latent is { } latent)
            {
                if (latent.TablesSha256.Count != 1)
                {
                    throw new FrameException(StatusCode.InvalidArgument, "a latent frame outside a latent stream carries exactly one table hash");
                }
                frame = Latent(request, latent.ModelId, latent.TablesSha256[0], context);
            }
            else
            {
                frame = Features(request, context);
            }
            return Answer(request.FrameId, await processor.RunAsync(frame, context.CancellationToken).ConfigureAwait(false), (int)request.TopK);
        }
        catch (FrameException e)
        {
            throw new RpcException(new Status(e.Status, e.Message));
        }
    }

    public override async Task InferStream(IAsyncStreamReader<InferRequest> requests, IServerStreamWriter<InferResponse> responses, ServerCallContext context)
    {
        using var open = drain.Enter();
        LatentStreamContext? latent = null;
        var segmented = new SegmentedFrames(options.Value.MaxFrameBytes);
        long frames = 0;
        try
        {
            frames = await StreamPump.RunAsync(requests, responses, context, options.Value.MaxInFlightPerStream, options.Value.StreamIdle, drain.Draining, (request, taken) =>
            {
                if (request.Open is not null)
                {
                    if (request.Payload.Length > 0 || request.FrameId != 0 || request.Latent is not null)
                    {
                        throw new RpcException(new Status(StatusCode.InvalidArgument, "a message carries either open or a frame, not both"));
                    }
                    if (taken > 0 || latent is not null)
                    {
                        throw new RpcException(new Status(StatusCode.InvalidArgument, "open is allowed only as the first message of a stream"));
                    }
                    latent = Open(request.Open);
                    return null;
                }
                if (request.Segment > 0)
                {
                    if (!segmented.Refine(request.FrameId, (int)Math.Min(request.Segment, int.MaxValue), (int)Math.Clamp(request.SegmentCount, 1, int.MaxValue), request.Payload.Memory))
                    {
                        metrics.LateSegment();
                    }
                    return null;
                }
                return AnswerFrameAsync(request, latent, segmented, context);
            }).ConfigureAwait(false);
        }
        finally
        {
            if (throttles.StreamEnded.TryPass(out long suppressed))
            {
                ServerLog.StreamEnded(logger, context.Peer, frames, suppressed);
            }
        }
    }

    public override Task<ModelInfo> GetModel(GetModelRequest request, ServerCallContext context) =>
        registry.Find(request.ModelId) switch
        {
            ServedFeatureModel features => Task.FromResult(Describe(features)),
            ServedSplitModel split => Task.FromResult(Describe(split)),
            _ => throw new RpcException(new Status(StatusCode.NotFound, $"model {ClientText.Echo(request.ModelId)} is not served here")),
        };

    private async Task<InferResponse> AnswerFrameAsync(InferRequest request, LatentStreamContext? latent, SegmentedFrames segmented, ServerCallContext context)
    {
        long arrived = System.Diagnostics.Stopwatch.GetTimestamp();
        uint Micros() => (uint)Math.Max(1, System.Diagnostics.Stopwatch.GetElapsedTime(arrived).TotalMicroseconds);
        try
        {
            FrameInput frame;
            if (latent is not null)
            {
                if (request.RateLevel >= latent.TablesSha256.Count)
                {
                    throw new FrameException(StatusCode.InvalidArgument, $"rate level {request.RateLevel} is not one of the {latent.TablesSha256.Count} levels declared for this stream");
                }
                frame = request.Segments > 1
                    ? await AssembleAsync(request, latent, segmented, context).ConfigureAwait(false)
                    : Latent(request, latent.ModelId, latent.TablesSha256[(int)request.RateLevel], context);
            }
            else if (request.Segments > 1)
            {
                throw new FrameException(StatusCode.InvalidArgument, "only a latent stream's frames may come in segments");
            }
            else
            {
                frame = Features(request, context);
            }
            if (processor.Refusal(frame) is { } refusal)
            {
                return Error(request.FrameId, refusal.Status, refusal.Message, Micros());
            }
            var answer = await processor.RunAsync(frame, context.CancellationToken).ConfigureAwait(false);
            var response = Answer(request.FrameId, answer, latent?.TopK ?? (int)request.TopK);
            response.RateLevel = (uint)frame.RateLevel;
            return response;
        }
        catch (FrameException e)
        {
            return Error(request.FrameId, e.Status, e.Message, Micros());
        }
        catch (Exception e)
        {
            return Error(request.FrameId, StatusCode.Internal, e.Message, Micros());
        }
    }

    /// <summary>An embedded frame's segments, as many as arrive within its wait: the level is how many, less one.</summary>
    private async Task<FrameInput> AssembleAsync(InferRequest request, LatentStreamContext latent, SegmentedFrames segmented, ServerCallContext context)
    {
        var model = processor.FindSplitModel(latent.ModelId);
        if (!model.IsEmbedded)
        {
            throw new FrameException(StatusCode.InvalidArgument, $"'{model.Id}' is not an embedded model: its frames cannot come in segments");
        }
        if (request.Segments > latent.TablesSha256.Count || request.RateLevel != 0)
        {
            throw new FrameException(StatusCode.InvalidArgument,
                $"a frame of {request.Segments} segments at rate level {request.RateLevel}: this stream declared {latent.TablesSha256.Count} levels, one a segment, and a segmented frame's rate_level is 0");
        }
        // The frame's budget runs from its base's arrival, the wait for refinements included.
        long deadline = deadlines.For(context, request.TimeoutMicros);
        var maxWait = options.Value.MaxSegmentWait;
        var wait = request.RefineMicros == 0 ? maxWait : TimeSpan.FromMicroseconds(Math.Min(request.RefineMicros, maxWait.TotalMicroseconds));
        var (payload, segments) = await segmented.AssembleAsync(request.FrameId, (int)request.Segments, request.Payload.Memory, wait, context.CancellationToken).ConfigureAwait(false);
        int level = segments - 1;
        return new(FrameKind.Latent, latent.ModelId, 0, payload, level, latent.TablesSha256[level], deadline);
    }

    private static InferResponse Error(ulong frameId, StatusCode status, string message, uint micros) =>
        new() { FrameId = frameId, ServerMicros = micros, Error = new FrameError { Code = (int)status, Message = message } };

    private FrameInput Latent(InferRequest request, string modelId, string tables, ServerCallContext context) =>
        new(FrameKind.Latent, modelId, 0, request.Payload.Memory, (int)request.RateLevel, tables, deadlines.For(context, request.TimeoutMicros),
            (int)Math.Min(request.LatentLength, int.MaxValue));

    private FrameInput Features(InferRequest request, ServerCallContext context) =>
        new(FrameKind.Features, null, 0, request.Payload.Memory, 0, null, deadlines.For(context, request.TimeoutMicros));

    private LatentStreamContext Open(StreamOpen open)
    {
        try
        {
            var model = processor.FindSplitModel(open.Identity?.ModelId ?? "");
            var declared = open.Identity!.TablesSha256;
            if (declared.Count == 0 || declared.Count > model.Levels.Count)
            {
                throw new FrameException(StatusCode.FailedPrecondition,
                    $"stream declares {declared.Count} rate levels; '{model.Id}' serves 1 to {model.Levels.Count}");
            }
            for (int level = 0; level < declared.Count; level++)
            {
                FrameProcessor.CheckTables(model, level, declared[level]);
            }
            return new LatentStreamContext(model.Id, [.. declared], Math.Max(1, (int)open.TopK));
        }
        catch (FrameException e)
        {
            throw new RpcException(new Status(e.Status, e.Message));
        }
    }

    private static InferResponse Answer(ulong frameId, FrameAnswer answer, int topK)
    {
        var response = new InferResponse { FrameId = frameId, ServerMicros = (uint)Math.Max(1, answer.Elapsed.TotalMicroseconds) };
        if (answer.Output.Probabilities is { } probabilities)
        {
            Span<int> order = stackalloc int[probabilities.Length];
            for (int i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }
            order.Sort((a, b) => probabilities[b].CompareTo(probabilities[a]));
            foreach (var c in order[..Math.Clamp(topK, 1, order.Length)])
            {
                response.Predictions.Add(new ClassScore { ClassId = (uint)c, Label = answer.Labels[c], Probability = probabilities[c] });
            }
        }
        if (answer.Output.Embedding is { } embedding)
        {
            response.Embedding.Add(embedding);
        }
        return response;
    }

    private static ModelInfo Describe(ServedFeatureModel model)
    {
        var info = new ModelInfo
        {
            ModelId = model.Id,
            Version = (uint)model.Version,
            Labels = { model.Labels },
            WeightsSha256 = model.WeightsSha256,
            InputKind = ProtocolNames.Input(InputKind.Image),
            Outputs = { ProtocolNames.Outputs(model.Output) },
        };
        AddFeaturePaths(info, model);
        return info;
    }

    /// <summary>The split points and codecs of feature payloads (a text split model's baselines, too).</summary>
    private static void AddFeaturePaths(ModelInfo info, ServedFeatureModel model)
    {
        info.Codecs.AddRange(model.Codecs.Select(c => (uint)c));
        foreach (var point in model.SplitPoints)
        {
            info.SplitPoints.Add(new SplitPoint { Id = point.Id, Name = point.Name, Shape = { point.Feature.Dimensions.Select(d => (uint)d) } });
        }
    }

    private static ModelInfo Describe(ServedSplitModel model)
    {
        var info = new ModelInfo
        {
            ModelId = model.Id,
            Version = (uint)model.Version,
            Labels = { model.Labels },
            LatentStream = model.Manifest.Stream == LatentStream.Compact ? "compact" : "compressai",
            InputKind = ProtocolNames.Input(model.Manifest.Input),
            Outputs = { ProtocolNames.Outputs(model.Output) },
            EmbeddingSize = (uint)model.EmbeddingSize,
            Embedded = model.IsEmbedded,
        };
        foreach (var level in model.Manifest.Levels)
        {
            info.RateLevels.Add(new RateLevel
            {
                Level = (uint)level.Level,
                TablesSha256 = level.TablesSha256,
                LatentShape = { model.Latent.Dimensions.Select(d => (uint)d) },
                VariableAxis = (uint)(model.Latent.VariableAxis ?? 0),
                Accuracy = (float)(level.Score?.Accuracy ?? 0),
                BytesPerImage = (float)(level.Score?.CodedBytes ?? 0),
            });
        }
        if (model.Features is { } features)
        {
            AddFeaturePaths(info, features);
        }
        return info;
    }
}
