using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SplitNet.Codec;
using SplitNet.Codec.Entropy;
using SplitNet.Contracts.V1;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using SplitNet.Server.Models;

namespace SplitNet.Server.Inference;

/// <summary>
/// Validates one frame (size, identity, shape, body), decodes it, queues it for inference and
/// turns the probabilities into an answer. Every rejection is a <see cref="FrameException"/>
/// with the status from the wire contract.
/// </summary>
internal sealed class FrameProcessor(
    ModelRegistry registry,
    InferenceEngine engine,
    IOptions<SplitNetServerOptions> options,
    ILogger<FrameProcessor> logger)
{
    private readonly int _maxFrameBytes = options.Value.MaxFrameBytes;

    /// <summary>
    /// Checks a latent stream's identity: the model must be served and every declared table hash
    /// must equal the server's for that level.
    /// </summary>
    public LatentStreamContext Open(StreamOpen open)
    {
        var model = SplitModel(open.Identity?.ModelId ?? "");
        var declared = open.Identity!.TablesSha256;
        if (declared.Count == 0 || declared.Count > model.Levels.Count)
        {
            throw new FrameException(StatusCode.FailedPrecondition,
                $"stream declares {declared.Count} rate levels; '{model.Id}' serves 1 to {model.Levels.Count}");
        }
        for (int level = 0; level < declared.Count; level++)
        {
            CheckTables(model, level, declared[level]);
        }
        return new LatentStreamContext(model, declared.Count, Math.Max(1, (int)open.TopK));
    }

    /// <summary>Answers one frame or throws <see cref="FrameException"/>.</summary>
    public async Task<InferResponse> ProcessAsync(InferRequest request, LatentStreamContext? stream, ServerCallContext context)
    {
        var arrived = TimeProvider.System.GetTimestamp();
        try
        {
            if (request.Payload.Length > _maxFrameBytes)
            {
                throw new FrameException(StatusCode.ResourceExhausted, $"payload of {request.Payload.Length} bytes exceeds the {_maxFrameBytes}-byte frame limit");
            }
            var job = stream is not null || request.Latent is not null
                ? DecodeLatent(request, stream, context.CancellationToken)
                : DecodeFeatures(request, context.CancellationToken);
            if (!engine.TryEnqueue(job))
            {
                throw new FrameException(StatusCode.ResourceExhausted, "inference queue is full; retry later");
            }
            float[] probabilities;
            try
            {
                probabilities = await job.Completion.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw context.Deadline <= DateTime.UtcNow
                    ? new FrameException(StatusCode.DeadlineExceeded, "deadline passed before the frame was computed")
                    : new FrameException(StatusCode.Cancelled, "call cancelled");
            }
            var response = new InferResponse
            {
                FrameId = request.FrameId,
                ServerMicros = (uint)TimeProvider.System.GetElapsedTime(arrived).TotalMicroseconds,
            };
            AddTopK(response, probabilities, job.Labels, stream?.TopK ?? Math.Max(1, (int)request.TopK));
            return response;
        }
        catch (FrameException e)
        {
            ServerLog.FrameRejected(logger, request.FrameId, e.Status, e.Message);
            throw;
        }
    }

    private InferenceJob DecodeFeatures(InferRequest request, CancellationToken cancellation)
    {
        var payload = request.Payload.Span;
        if (!PayloadHeader.TryRead(payload, out var header, out var headerLength, out var error))
        {
            throw new FrameException(StatusCode.InvalidArgument, $"bad payload header: {error}");
        }
        if (!registry.TryGetTeacher(header.ModelId, out var model))
        {
            throw new FrameException(StatusCode.NotFound, $"model '{header.ModelId}' is not served here");
        }
        var expected = model.FeatureShape(header.SplitPoint)
            ?? throw new FrameException(StatusCode.InvalidArgument, $"model '{model.Id}' has no split point {header.SplitPoint}");
        if (!expected.Equals(header.Shape))
        {
            throw new FrameException(StatusCode.InvalidArgument,
                $"feature shape {header.Shape} does not match {expected} expected after {(TeacherStage)header.SplitPoint} of '{model.Id}'");
        }
        var features = new float[expected.ElementCount];
        if (FeatureCodec.TryDecodeBody(payload, header, headerLength, features, out error) != DecodeStatus.Ok)
        {
            throw new FrameException(StatusCode.InvalidArgument, $"corrupt payload: {error}");
        }
        return new InferenceJob(model.Tail(header.SplitPoint), features, model.Manifest.Labels, cancellation);
    }

    private InferenceJob DecodeLatent(InferRequest request, LatentStreamContext? stream, CancellationToken cancellation)
    {
        var model = stream?.Model ?? SplitModel(request.Latent.ModelId);
        int declared = stream?.Levels ?? model.Levels.Count;
        if (request.RateLevel >= declared)
        {
            throw new FrameException(StatusCode.InvalidArgument, $"rate level {request.RateLevel} is not one of the {declared} levels of '{model.Id}'{(stream is null ? "" : " declared for this stream")}");
        }
        var level = model.Levels[(int)request.RateLevel];
        if (stream is null)
        {
            if (request.Latent.TablesSha256.Count != 1)
            {
                throw new FrameException(StatusCode.InvalidArgument, "a latent frame outside a latent stream carries exactly one table hash");
            }
            CheckTables(model, level.Level, request.Latent.TablesSha256[0]);
        }
        const int spatial = StudentConfig.LatentSize * StudentConfig.LatentSize;
        var symbols = new int[model.LatentSize];
        if (!LatentCoder.TryDecode(model.Manifest.Stream, request.Payload.Span, spatial, level.Table, symbols, out var error))
        {
            throw new FrameException(StatusCode.InvalidArgument, $"corrupt latent: {error}");
        }
        var latent = new float[symbols.Length];
        for (int i = 0; i < symbols.Length; i++)
        {
            latent[i] = symbols[i] + level.Medians[i / spatial];
        }
        return new InferenceJob(level.Tail, latent, model.Manifest.Labels, cancellation);
    }

    private ServedSplitModel SplitModel(string id) =>
        registry.TryGetSplitModel(id, out var model) ? model : throw new FrameException(StatusCode.NotFound, $"split model '{id}' is not served here");

    private static void CheckTables(ServedSplitModel model, int level, string declared)
    {
        var served = model.Levels[level].Table.Hash;
        if (!string.Equals(declared, served, StringComparison.OrdinalIgnoreCase))
        {
            throw new FrameException(StatusCode.FailedPrecondition,
                $"rate level {level} of '{model.Id}' codes with tables {served[..12]}…, not {(declared.Length > 12 ? declared[..12] : declared)}…; update the edge bundle");
        }
    }

    private static void AddTopK(InferResponse response, float[] probabilities, IReadOnlyList<string> labels, int k)
    {
        Span<int> order = stackalloc int[probabilities.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        order.Sort((a, b) => probabilities[b].CompareTo(probabilities[a]));
        foreach (var c in order[..Math.Min(k, order.Length)])
        {
            response.Predictions.Add(new ClassScore { ClassId = (uint)c, Label = labels[c], Probability = probabilities[c] });
        }
    }
}
