using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SplitNet.Codec;
using SplitNet.Contracts.V1;
using SplitNet.Models.Teacher;
using SplitNet.Server.Models;

namespace SplitNet.Server.Inference;

/// <summary>
/// Validates one frame (size, header, model, split point, shape, body), queues it for inference
/// and turns the probabilities into an answer. Every rejection is a <see cref="FrameException"/>
/// with the status from the wire contract.
/// </summary>
internal sealed class FrameProcessor(
    ModelRegistry registry,
    InferenceEngine engine,
    IOptions<SplitNetServerOptions> options,
    ILogger<FrameProcessor> logger)
{
    private readonly int _maxFrameBytes = options.Value.MaxFrameBytes;

    /// <summary>Answers one frame or throws <see cref="FrameException"/>.</summary>
    public async Task<InferResponse> ProcessAsync(InferRequest request, ServerCallContext context)
    {
        var arrived = TimeProvider.System.GetTimestamp();
        try
        {
            var job = Decode(request, context.CancellationToken);
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
            AddTopK(response, probabilities, job.Model.Manifest.Labels, Math.Max(1, (int)request.TopK));
            return response;
        }
        catch (FrameException e)
        {
            ServerLog.FrameRejected(logger, request.FrameId, e.Status, e.Message);
            throw;
        }
    }

    private InferenceJob Decode(InferRequest request, CancellationToken cancellation)
    {
        var payload = request.Payload.Span;
        if (payload.Length > _maxFrameBytes)
        {
            throw new FrameException(StatusCode.ResourceExhausted, $"payload of {payload.Length} bytes exceeds the {_maxFrameBytes}-byte frame limit");
        }
        if (!PayloadHeader.TryRead(payload, out var header, out var headerLength, out var error))
        {
            throw new FrameException(StatusCode.InvalidArgument, $"bad payload header: {error}");
        }
        if (!registry.TryGet(header.ModelId, out var model))
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
        return new InferenceJob(model, (TeacherStage)header.SplitPoint, features, expected.Dimensions.ToArray(), cancellation);
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
