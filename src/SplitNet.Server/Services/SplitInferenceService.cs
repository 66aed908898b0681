using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SplitNet.Codec;
using SplitNet.Codec.Entropy;
using SplitNet.Contracts.V1;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using SplitNet.Server.Inference;
using SplitNet.Server.Models;

namespace SplitNet.Server.Services;

/// <summary>The native <c>splitnet.v1.SplitInference</c> service.</summary>
internal sealed class SplitInferenceService(
    FrameProcessor processor,
    ModelRegistry registry,
    IOptions<SplitNetServerOptions> options,
    ILogger<SplitInferenceService> logger) : SplitInference.SplitInferenceBase
{
    public override async Task<InferResponse> Infer(InferRequest request, ServerCallContext context)
    {
        try
        {
            return await processor.ProcessAsync(request, stream: null, context).ConfigureAwait(false);
        }
        catch (FrameException e)
        {
            throw new RpcException(new Status(e.Status, e.Message));
        }
    }

    public override async Task InferStream(IAsyncStreamReader<InferRequest> requests, IServerStreamWriter<InferResponse> responses, ServerCallContext context)
    {
        int window = options.Value.MaxInFlightPerStream;
        // Answers complete in any order on the thread pool; one writer loop keeps writes serial.
        var answers = Channel.CreateBounded<InferResponse>(new BoundedChannelOptions(window) { SingleReader = true });
        var writing = WriteAllAsync(answers.Reader, responses);
        using var slots = new SemaphoreSlim(window, window);
        long frames = 0;
        LatentStreamContext? latent = null;
        try
        {
            await foreach (var request in requests.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                if (request.Open is not null)
                {
                    if (frames > 0 || latent is not null)
                    {
                        throw new RpcException(new Status(StatusCode.InvalidArgument, "open is allowed only as the first message of a stream"));
                    }
                    latent = Open(request.Open);
                    continue;
                }
                // Stop reading (and so push back on the client through HTTP/2 flow control) while
                // this stream already has a full window of frames in the server.
                await slots.WaitAsync(context.CancellationToken).ConfigureAwait(false);
                frames++;
                _ = AnswerAsync(request, latent, context, answers.Writer, slots);
            }
            for (int i = 0; i < window; i++)
            {
                await slots.WaitAsync(context.CancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            answers.Writer.TryComplete();
            await writing.ConfigureAwait(false);
            ServerLog.StreamEnded(logger, context.Peer, frames);
        }
    }

    public override Task<ModelInfo> GetModel(GetModelRequest request, ServerCallContext context)
    {
        if (registry.TryGetTeacher(request.ModelId, out var teacher))
        {
            return Task.FromResult(Describe(teacher));
        }
        if (registry.TryGetSplitModel(request.ModelId, out var split))
        {
            return Task.FromResult(Describe(split));
        }
        throw new RpcException(new Status(StatusCode.NotFound, $"model '{request.ModelId}' is not served here"));
    }

    private static ModelInfo Describe(ServedTeacher model)
    {
        var info = new ModelInfo
        {
            ModelId = model.Id,
            Version = (uint)model.Manifest.Version,
            Codecs = { (uint)CodecId.RawFloat32, (uint)CodecId.Affine8Lz4 },
            Labels = { model.Manifest.Labels },
            WeightsSha256 = model.Manifest.WeightsSha256,
        };
        for (var stage = TeacherStage.Stem; stage < TeacherStage.Head; stage++)
        {
            var point = new SplitPoint { Id = (uint)stage, Name = stage.ToString().ToLowerInvariant() };
            point.Shape.AddRange(model.FeatureShape((byte)stage)!.Dimensions.ToArray().Select(d => (uint)d));
            info.SplitPoints.Add(point);
        }
        return info;
    }

    private static ModelInfo Describe(ServedSplitModel model)
    {
        var info = new ModelInfo
        {
            ModelId = model.Id,
            Version = (uint)model.Manifest.Version,
            Labels = { model.Manifest.Labels },
            LatentStream = model.Manifest.Stream == LatentStream.Compact ? "compact" : "compressai",
        };
        foreach (var level in model.Manifest.Levels)
        {
            info.RateLevels.Add(new RateLevel
            {
                Level = (uint)level.Level,
                TablesSha256 = level.TablesSha256,
                LatentShape = { (uint)model.Manifest.Architecture.LatentChannels, StudentConfig.LatentSize, StudentConfig.LatentSize },
                Accuracy = (float)(level.Score?.Accuracy ?? 0),
                BytesPerImage = (float)(level.Score?.CodedBytes ?? 0),
            });
        }
        return info;
    }

    private LatentStreamContext Open(StreamOpen open)
    {
        try
        {
            return processor.Open(open);
        }
        catch (FrameException e)
        {
            throw new RpcException(new Status(e.Status, e.Message));
        }
    }

    private async Task AnswerAsync(InferRequest request, LatentStreamContext? latent, ServerCallContext context, ChannelWriter<InferResponse> answers, SemaphoreSlim slots)
    {
        InferResponse response;
        try
        {
            response = await processor.ProcessAsync(request, latent, context).ConfigureAwait(false);
        }
        catch (FrameException e)
        {
            response = new InferResponse { FrameId = request.FrameId, Error = new FrameError { Code = (int)e.Status, Message = e.Message } };
        }
        catch (Exception e)
        {
            response = new InferResponse { FrameId = request.FrameId, Error = new FrameError { Code = (int)StatusCode.Internal, Message = e.Message } };
        }
        try
        {
            await answers.WriteAsync(response, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            // The call is over; nobody is left to read this answer.
        }
        finally
        {
            slots.Release();
        }
    }

    private static async Task WriteAllAsync(ChannelReader<InferResponse> answers, IServerStreamWriter<InferResponse> responses)
    {
        try
        {
            await foreach (var answer in answers.ReadAllAsync().ConfigureAwait(false))
            {
                await responses.WriteAsync(answer).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // The call completed (client gone or cancelled) while answers were still pending.
        }
    }
}
