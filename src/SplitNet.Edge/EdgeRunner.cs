using System.Diagnostics;
using System.Threading.Channels;
using Google.Protobuf;
using HdrHistogram;
using SplitNet.Contracts.V1;
using SplitNet.Models.Data;

namespace SplitNet.Edge;

/// <summary>
/// Runs a labelled image set through the split: the head runs on a dedicated encoder thread
/// (TorchSharp scopes are per thread), coded frames go over one stream with a credit window, and
/// every answer is checked against the label.
/// </summary>
public static class EdgeRunner
{
    private sealed record Encoded(int Index, EncodedFrame Frame, long Started);

    public static async Task<EdgeReport> RunAsync(
        IFrameEncoder head,
        SplitInference.SplitInferenceClient client,
        LabeledImages images,
        EdgeRunOptions options,
        Action<FrameOutcome>? onFrame = null,
        CancellationToken cancellation = default)
    {
        var encoded = Channel.CreateBounded<Encoded>(new BoundedChannelOptions(Math.Max(2, options.Window)) { SingleReader = true, SingleWriter = true });
        var encoder = new Thread(() => Encode(head, images, encoded.Writer, cancellation)) { IsBackground = true, Name = "splitnet-edge-encoder" };
        var latencies = new LongHistogram(60_000_000, 3);
        var gate = new object();
        int correct = 0, failed = 0;
        long payloadBytes = 0, messageBytes = 0;
        // Pre-flight: fails fast on an unknown model and opens the connection before the clock runs.
        await client.GetModelAsync(new GetModelRequest { ModelId = head.ModelId }, cancellationToken: cancellation).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        encoder.Start();

        await using var session = new StreamingSession(client, options.Window, head.Open, cancellation);
        var answers = new List<Task>(images.Count);
        await foreach (var frame in encoded.Reader.ReadAllAsync(cancellation).ConfigureAwait(false))
        {
            var label = images.Labels[frame.Index];
            var payload = frame.Frame.Payload;
            var messageSize = new InferRequest { FrameId = (ulong)frame.Index, Payload = UnsafeByteOperations.UnsafeWrap(payload), RateLevel = frame.Frame.RateLevel }.CalculateSize();
            var answer = await session.SendAsync((ulong)frame.Index, payload, frame.Frame.RateLevel, cancellation).ConfigureAwait(false);
            answers.Add(answer.ContinueWith(task =>
            {
                var latency = Stopwatch.GetElapsedTime(frame.Started);
                var response = task.IsCompletedSuccessfully
                    ? task.Result
                    : new InferResponse { FrameId = (ulong)frame.Index, Error = new FrameError { Code = (int)Grpc.Core.StatusCode.Unavailable, Message = task.Exception?.GetBaseException().Message ?? "cancelled" } };
                var result = new FrameResult((ulong)frame.Index, response);
                lock (gate)
                {
                    latencies.RecordValue(Math.Max(1, (long)latency.TotalMicroseconds));
                    payloadBytes += payload.Length;
                    messageBytes += messageSize;
                    if (!result.Succeeded)
                    {
                        failed++;
                    }
                    else if (result.ClassId == label)
                    {
                        correct++;
                    }
                }
                onFrame?.Invoke(new FrameOutcome(frame.Index, label, result, payload.Length, messageSize, latency));
            }, TaskScheduler.Default));
        }
        await session.CompleteAsync().ConfigureAwait(false);
        await Task.WhenAll(answers).ConfigureAwait(false);
        encoder.Join();
        var seconds = clock.Elapsed.TotalSeconds;
        int frames = answers.Count;
        return new EdgeReport(
            frames,
            failed,
            frames == 0 ? 0 : (double)correct / frames,
            frames == 0 ? 0 : (double)payloadBytes / frames,
            frames == 0 ? 0 : (double)messageBytes / frames,
            LatencySummary.FromMicros(latencies),
            frames / seconds,
            seconds,
            session.Unmatched);
    }

    private static void Encode(IFrameEncoder head, LabeledImages images, ChannelWriter<Encoded> output, CancellationToken cancellation)
    {
        try
        {
            // The first forward on a thread pays libtorch's one-time set-up; keep it out of the latencies.
            if (images.Count > 0)
            {
                head.Encode(images.Image(0));
            }
            for (int i = 0; i < images.Count && !cancellation.IsCancellationRequested; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var frame = head.Encode(images.Image(i));
                // A dedicated thread may block: waiting here is the backpressure on the camera.
                output.WriteAsync(new Encoded(i, frame, started), cancellation).AsTask().GetAwaiter().GetResult();
            }
            output.TryComplete();
        }
        catch (Exception e)
        {
            output.TryComplete(e);
        }
    }
}
