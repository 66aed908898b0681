using System.Diagnostics;
using System.Diagnostics.Metrics;
using Grpc.Core;
using SplitNet.Server.Inference;
using SplitNet.Server.Serving;

namespace SplitNet.Server.Telemetry;

/// <summary>
/// The server's OpenTelemetry metrics (meter <c>SplitNet.Server</c>). Names follow the
/// OpenTelemetry conventions; the Prometheus exporter turns <c>splitnet.server.queue.duration</c>
/// (unit s) into <c>splitnet_server_queue_duration_seconds</c>.
/// </summary>
internal sealed class ServerMetrics
{
    public const string MeterName = "SplitNet.Server";

    private static readonly int[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128];
    private static readonly double[] SecondsBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<double> _queueDuration;
    private readonly Histogram<double> _computeDuration;
    private readonly Histogram<int> _batchSize;
    private readonly Counter<long> _receivedBytes;
    private readonly Counter<long> _lateSegments;
    private readonly TimeProvider _clock;

    /// <param name="meters">Creates the meter.</param>
    /// <param name="clock">The clock whose timestamps the queue stamps on jobs.</param>
    public ServerMetrics(IMeterFactory meters, TimeProvider clock)
    {
        _clock = clock;
        _meter = meters.Create(MeterName);
        _requests = _meter.CreateCounter<long>("splitnet.server.requests", "{request}", "Frames answered, by model and gRPC status.");
        _requestDuration = _meter.CreateHistogram("splitnet.server.request.duration", "s", "Time from a frame's arrival to its answer.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _queueDuration = _meter.CreateHistogram("splitnet.server.queue.duration", "s", "Time a frame waited in the batcher's queue.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _computeDuration = _meter.CreateHistogram("splitnet.server.compute.duration", "s", "Time one batch spent in the deep layers.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _batchSize = _meter.CreateHistogram("splitnet.server.batch.size", "{frame}", "Frames per executed batch.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchBuckets });
        _receivedBytes = _meter.CreateCounter<long>("splitnet.server.received", "By", "Payload bytes received, by model.");
        _lateSegments = _meter.CreateCounter<long>("splitnet.server.segments.late", "{segment}",
            "Segments of embedded frames that arrived after their frame was answered (or for no frame waiting), dropped.");
    }

    public void LateSegment() => _lateSegments.Add(1);

    /// <summary>Reports the batcher's queue depth as <c>splitnet.server.queue.pending</c>.</summary>
    public void ObservePending(Func<int> pending) =>
        _meter.CreateObservableUpDownCounter("splitnet.server.queue.pending", pending, "{request}", "Frames waiting for an inference worker.");

    /// <summary>Reports the TorchSharp tensors alive on the inference workers as <c>splitnet.server.torch.live_tensors</c> (0 when every model runs on ONNX Runtime).</summary>
    public void ObserveLiveTensors(Func<long> live) =>
        _meter.CreateObservableUpDownCounter("splitnet.server.torch.live_tensors", live, "{tensor}", "TorchSharp tensors alive on the inference workers' threads after their last batch.");

    public void Received(string model, int bytes) => _receivedBytes.Add(bytes, new KeyValuePair<string, object?>("model", model));

    /// <summary>The <c>model</c> label of frames for no model the server serves: label values never come from clients.</summary>
    public const string UnknownModel = "_unknown";

    /// <param name="model">The version that answered, when the frame got that far.</param>
    /// <param name="label">A model id the server serves, or <see cref="UnknownModel"/>.</param>
    public void Answered(ServedModel? model, string label, StatusCode status, TimeSpan elapsed)
    {
        var tags = new TagList { { "model", label }, { "status", status.ToString() } };
        _requests.Add(1, tags);
        _requestDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("model", label));
        model?.Statistics.Answered(status == StatusCode.OK, elapsed);
    }

    public void Executed(ServedModel model, List<InferenceJob> batch, TimeSpan compute)
    {
        var tag = new KeyValuePair<string, object?>("model", model.Id);
        var queued = TimeSpan.Zero;
        foreach (var job in batch)
        {
            var wait = _clock.GetElapsedTime(job.Enqueued, job.Started);
            queued += wait;
            _queueDuration.Record(wait.TotalSeconds, tag);
        }
        _computeDuration.Record(compute.TotalSeconds, tag);
        _batchSize.Record(batch.Count, tag);
        model.Statistics.Executed(batch.Count, queued, compute);
    }

    public void Dropped(InferenceJob job) =>
        _queueDuration.Record(_clock.GetElapsedTime(job.Enqueued, job.Started).TotalSeconds, new KeyValuePair<string, object?>("model", job.Target.Model.Id));
}
