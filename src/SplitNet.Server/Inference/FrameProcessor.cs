using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SplitNet.Codec;
using SplitNet.Models.Split;
using SplitNet.Server.Serving;
using SplitNet.Server.Telemetry;

namespace SplitNet.Server.Inference;

/// <summary>
/// Answers one frame for any protocol: checks its size and identity, leases the model version,
/// decodes the payload, queues it for the batcher and waits for the probabilities. Every
/// rejection is a <see cref="FrameException"/> with the status from the wire contract.
/// </summary>
internal sealed class FrameProcessor(
    ModelRegistry registry,
    ModelManager manager,
    InferenceEngine engine,
    DecodeBudget budget,
    ServerMetrics metrics,
    IOptions<SplitNetServerOptions> options,
    ILogger<FrameProcessor> logger,
    ClientLogThrottles throttles)
{
    private readonly int _maxFrameBytes = options.Value.MaxFrameBytes;

    /// <summary>The newest version of a split model, for checks that touch no weights.</summary>
    public ServedSplitModel FindSplitModel(string id) =>
        registry.Find(ClientText.Identifier(id, "model id")) as ServedSplitModel ?? throw new FrameException(StatusCode.NotFound, $"split model {ClientText.Echo(id)} is not served here");

    /// <summary>Fails with FAILED_PRECONDITION unless <paramref name="declared"/> is the hash of the level's tables.</summary>
    public static void CheckTables(ServedSplitModel model, int level, string declared)
    {
        var served = model.Levels[level].Entropy.TablesSha256;
        if (!string.Equals(declared, served, StringComparison.OrdinalIgnoreCase))
        {
            throw new FrameException(StatusCode.FailedPrecondition,
                $"rate level {level} of '{model.Id}' v{model.Version} codes with tables {served[..12]}…, not {ClientText.Echo(declared.Length > 12 ? declared[..12] : declared)}…; update the edge bundle");
        }
    }

    /// <summary>Answers one frame or throws <see cref="FrameException"/>.</summary>
    public async Task<FrameAnswer> RunAsync(FrameInput frame, CancellationToken cancellation)
    {
        long arrived = Stopwatch.GetTimestamp();
        using var activity = ServerTracing.Source.StartActivity("infer");
        ServedModel? model = null;
        string modelId = frame.ModelId ?? "";
        var status = StatusCode.OK;
        DecodedBuffer? buffer = null;
        try
        {
            if (!manager.Ready)
            {
                throw new FrameException(StatusCode.Unavailable, "the server is warming up its models; retry shortly");
            }
            if (frame.Payload.Length > _maxFrameBytes)
            {
                throw new FrameException(StatusCode.ResourceExhausted, $"payload of {frame.Payload.Length} bytes exceeds the {_maxFrameBytes}-byte frame limit");
            }
            ClientText.Identifier(modelId, "model id");
            InferenceJob job;
            if (frame.Kind == FrameKind.Latent)
            {
                var split = Lease<ServedSplitModel>(modelId, frame.Version, "split model");
                model = split;
                // A frame the queue would refuse now is refused before it is decoded.
                ThrowIfRefused(engine.Queue.Check(frame.Deadline));
                job = DecodeLatent(split, frame, ref buffer, cancellation);
            }
            else
            {
                var header = ReadHeader(frame.Payload.Span, out int headerLength);
                if (frame.ModelId is not null && frame.ModelId != header.ModelId)
                {
                    throw new FrameException(StatusCode.InvalidArgument, $"payload is coded for model {ClientText.Echo(header.ModelId)}, not {ClientText.Echo(frame.ModelId)}");
                }
                modelId = header.ModelId;
                model = Lease<ServedModel>(modelId, frame.Version, "model");
                var features = model as ServedFeatureModel ?? (model as ServedSplitModel)?.Features
                    ?? throw new FrameException(StatusCode.InvalidArgument, $"model {ClientText.Echo(modelId)} takes latent frames only, not feature payloads");
                ThrowIfRefused(engine.Queue.Check(frame.Deadline));
                job = header.Codec == CodecId.Utf8Text
                    ? DecodeText(features, header, headerLength, frame, ref buffer, cancellation)
                    : DecodeFeatures(features, header, headerLength, frame, ref buffer, cancellation);
            }
            activity?.SetTag("splitnet.model", model.Id);
            activity?.SetTag("splitnet.model_version", model.Version);
            activity?.SetTag("splitnet.rate_level", frame.RateLevel);
            activity?.SetTag("splitnet.payload_bytes", frame.Payload.Length);
            metrics.Received(model.Id, frame.Payload.Length);
            ThrowIfRefused(engine.TryEnqueue(job));
            var output = await job.Completion.Task.ConfigureAwait(false);
            return new FrameAnswer(output, model.Labels, model.Id, model.Version, Stopwatch.GetElapsedTime(arrived));
        }
        catch (FrameException e)
        {
            status = e.Status;
            if (logger.IsEnabled(LogLevel.Debug) && throttles.FrameRejected.TryPass(out long suppressed))
            {
                ServerLog.FrameRejected(logger, ClientText.Echo(modelId), e.Status, e.Message, suppressed);
            }
            throw;
        }
        finally
        {
            if (buffer is { } held)
            {
                budget.Return(held);
            }
            model?.Release();
            activity?.SetTag("rpc.grpc.status_code", (int)status);
            if (status != StatusCode.OK)
            {
                activity?.SetStatus(ActivityStatusCode.Error, status.ToString());
            }
            metrics.Answered(model, model?.Id ?? registry.Find(modelId)?.Id ?? ServerMetrics.UnknownModel, status, Stopwatch.GetElapsedTime(arrived));
        }
    }

    private T Lease<T>(string id, long version, string kind) where T : ServedModel
    {
        var model = registry.Lease(id, version);
        if (model is T typed)
        {
            return typed;
        }
        model?.Release();
        throw new FrameException(StatusCode.NotFound, version == 0
            ? $"{kind} {ClientText.Echo(id)} is not served here"
            : $"{kind} {ClientText.Echo(id)} version {version} is not served here");
    }

    private static PayloadHeader ReadHeader(ReadOnlySpan<byte> payload, out int headerLength)
    {
        if (!PayloadHeader.TryRead(payload, out var header, out headerLength, out var error))
        {
            throw new FrameException(StatusCode.InvalidArgument, $"bad payload header: {error}");
        }
        return header;
    }

    private InferenceJob DecodeFeatures(ServedFeatureModel model, PayloadHeader header, int headerLength, FrameInput frame, ref DecodedBuffer? buffer, CancellationToken cancellation)
    {
        var tail = model.Tail(header.SplitPoint)
            ?? throw new FrameException(StatusCode.InvalidArgument, $"model '{model.Id}' has no split point {header.SplitPoint}");
        if (!tail.Latent.TryMatch(header.Shape, out int length))
        {
            throw new FrameException(StatusCode.InvalidArgument,
                $"feature shape {header.Shape} does not match {tail.Latent} expected after {model.PointName(header.SplitPoint)} of '{model.Id}'");
        }
        int elements = tail.Latent.Elements(length);
        var features = Rent(elements, ref buffer);
        if (FeatureCodec.TryDecodeBody(frame.Payload.Span, header, headerLength, features.AsSpan(0, elements), out var error) != DecodeStatus.Ok)
        {
            throw new FrameException(StatusCode.InvalidArgument, $"corrupt payload: {error}");
        }
        return new InferenceJob(tail, features, length, frame.Deadline, cancellation);
    }

    /// <summary>A sentence for the whole text model: checked, tokenized here, its token ids the job's input.</summary>
    private InferenceJob DecodeText(ServedFeatureModel model, PayloadHeader header, int headerLength, FrameInput frame, ref DecodedBuffer? buffer, CancellationToken cancellation)
    {
        if (model.Tokenizer is not { } tokenizer || header.SplitPoint != FeatureSplitPoint.InputId || model.Whole is not { } whole)
        {
            throw new FrameException(StatusCode.InvalidArgument, $"model '{model.Id}' takes no text payloads at split point {header.SplitPoint}");
        }
        if (TextCodec.TryDecode(frame.Payload.Span, header, headerLength, out var text, out var error) != DecodeStatus.Ok)
        {
            throw new FrameException(StatusCode.InvalidArgument, $"corrupt payload: {error}");
        }
        var tokens = tokenizer.Encode(text);
        var ids = Rent(tokens.Length, ref buffer);
        for (int i = 0; i < tokens.Length; i++)
        {
            ids[i] = tokens[i];
        }
        return new InferenceJob(whole, ids, tokens.Length, frame.Deadline, cancellation);
    }

    private InferenceJob DecodeLatent(ServedSplitModel model, FrameInput frame, ref DecodedBuffer? buffer, CancellationToken cancellation)
    {
        if (frame.RateLevel < 0 || frame.RateLevel >= model.Levels.Count)
        {
            throw new FrameException(StatusCode.InvalidArgument, $"rate level {frame.RateLevel} is not one of the {model.Levels.Count} levels of '{model.Id}'");
        }
        var level = model.Levels[frame.RateLevel];
        if (frame.TablesSha256 is not null)
        {
            CheckTables(model, level.Level, frame.TablesSha256);
        }
        if (!model.Latent.TryResolve(frame.LatentLength, out int length, out var problem))
        {
            throw new FrameException(StatusCode.InvalidArgument, $"'{model.Id}': {problem}");
        }
        var yHat = Rent(model.Latent.Elements(length), ref buffer);
        if (!level.Entropy.TryDecompress(frame.Payload.Span, yHat.AsSpan(0, model.Latent.Elements(length)), out var error))
        {
            throw new FrameException(StatusCode.InvalidArgument, $"corrupt latent: {error}");
        }
        return new InferenceJob(level.Target, yHat, length, frame.Deadline, cancellation);
    }

    /// <summary>A pooled buffer for a decoded frame of <paramref name="elements"/> float32 values, reserved before anything is allocated.</summary>
    private float[] Rent(long elements, ref DecodedBuffer? buffer)
    {
        if (!budget.TryRent(elements, out var rented))
        {
            throw new FrameException(StatusCode.ResourceExhausted,
                $"the server holds at most {budget.Capacity} bytes of decoded frames and is at that bound; retry later or elsewhere");
        }
        buffer = rented;
        return rented.Values;
    }

    /// <summary>Refuses at once, as a whole, a request of <paramref name="frames"/> frames the queue would not take now.</summary>
    public void Admit(long deadline, int frames) => ThrowIfRefused(engine.Queue.Check(deadline, frames));

    /// <summary>
    /// The refusal of a frame the queue would not take right now, counted in the metrics but not
    /// thrown, or null when it may be queued. Under overload most frames are refused, and raising
    /// an exception through the async calls would cost more than the refusal itself.
    /// </summary>
    public FrameException? Refusal(FrameInput frame)
    {
        if (RefusalFor(engine.Queue.Check(frame.Deadline)) is not { } refusal)
        {
            return null;
        }
        // A frame for a model not served here still learns that (NOT_FOUND) on the full path.
        string id = frame.ModelId ?? (PayloadHeader.TryRead(frame.Payload.Span, out var header, out _, out _) ? header.ModelId : "");
        if (registry.Find(id) is not { } model)
        {
            return null;
        }
        metrics.Answered(null, model.Id, refusal.Status, TimeSpan.Zero);
        return refusal;
    }

    private void ThrowIfRefused(Admission admission)
    {
        if (RefusalFor(admission) is { } refusal)
        {
            throw refusal;
        }
    }

    private FrameException? RefusalFor(Admission admission) => admission switch
    {
        Admission.Full => new FrameException(StatusCode.ResourceExhausted, $"inference queue is full ({engine.Queue.Pending} of {engine.Queue.Capacity} frames); retry later"),
        Admission.Expired => new FrameException(StatusCode.DeadlineExceeded, "the deadline passed before the frame was queued; it was not computed"),
        Admission.TooLate => new FrameException(StatusCode.ResourceExhausted, $"the {engine.Queue.Pending} frames queued ahead would outlast this frame's deadline; retry later or elsewhere"),
        Admission.Closed => new FrameException(StatusCode.Unavailable, "the server is shutting down"),
        _ => null,
    };
}
