using System.Buffers;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SplitNet.Models.Split;
using SplitNet.Server.Serving;
using SplitNet.Server.Telemetry;

namespace SplitNet.Server.Inference;

/// <summary>
/// Runs the deep layers on dedicated threads fed by the dynamic batcher. TorchSharp dispose
/// scopes are per thread, so every forward happens start to finish on a worker thread, never
/// across an await; results are copied to managed arrays before the scope closes.
/// </summary>
internal sealed class InferenceEngine : IDisposable
{
    private readonly BatchQueue _queue;
    private readonly Thread[] _workers;
    private readonly long[] _liveTensors;
    private readonly ServerMetrics _metrics;
    private readonly ILogger<InferenceEngine> _logger;
    private readonly TimeProvider _clock;
    private readonly int _warmUpRounds;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IReadOnlyList<ServedModel> _startModels = [];
    private int _warming;
    private readonly int _torchThreads;
    private int _currentThreads = -1;

    public InferenceEngine(IOptions<SplitNetServerOptions> options, ServerMetrics metrics, ILogger<InferenceEngine> logger, TimeProvider clock)
    {
        var settings = options.Value;
        _clock = clock;
        _queue = new BatchQueue(settings.QueueCapacity, settings.MaxBatchSize, TimeSpan.FromMicroseconds(settings.MaxQueueDelayMicroseconds),
            clock, settings.Workers, settings.DeadlineHeadroomPercent);
        _metrics = metrics;
        _logger = logger;
        _warmUpRounds = settings.WarmUpRounds;
        _torchThreads = settings.TorchThreads;
        if (settings.TorchThreads > 0)
        {
            TorchSharp.torch.set_num_threads(settings.TorchThreads);
        }
        _workers = new Thread[settings.Workers];
        _liveTensors = new long[settings.Workers];
        _warming = settings.Workers;
        metrics.ObservePending(() => _queue.Pending);
        metrics.ObserveLiveTensors(LiveTensors);
    }

    public BatchQueue Queue => _queue;

    /// <summary>Completes when every worker has run every start-up model (its first, slow forwards).</summary>
    public Task Ready => _ready.Task;

    /// <summary>Starts the workers; each first runs every target of <paramref name="models"/> on its own thread.</summary>
    public void Start(IReadOnlyList<ServedModel> models)
    {
        _startModels = models;
        for (int i = 0; i < _workers.Length; i++)
        {
            int worker = i;
            _workers[i] = new Thread(() => Work(worker)) { IsBackground = true, Name = $"splitnet-inference-{i}" };
            _workers[i].Start();
        }
        ServerLog.EngineStarted(_logger, _workers.Length, _queue.Capacity, _queue.MaxBatchSize);
    }

    /// <summary>Queues a job, or says why not (the caller answers RESOURCE_EXHAUSTED or UNAVAILABLE).</summary>
    public Admission TryEnqueue(InferenceJob job) => _queue.TryEnqueue(job);

    /// <summary>Runs every target of a newly loaded model once at batch size 1 and at the maximum batch size.</summary>
    public Task WarmUpAsync(ServedModel model)
    {
        var jobs = new List<Task>();
        foreach (var target in model.Targets)
        {
            for (int i = 0; i < _queue.MaxBatchSize; i++)
            {
                var job = new InferenceJob(target, new float[target.Latent.Elements(target.Latent.MaxLength)], target.Latent.MaxLength, InferenceJob.NoDeadline, CancellationToken.None);
                if (_queue.TryEnqueue(job, bypassCapacity: true) != Admission.Queued)
                {
                    throw new InvalidOperationException("the inference engine is shutting down");
                }
                jobs.Add(job.Completion.Task);
            }
        }
        return Task.WhenAll(jobs);
    }

    private long LiveTensors()
    {
        long live = 0;
        for (int i = 0; i < _liveTensors.Length; i++)
        {
            live += Volatile.Read(ref _liveTensors[i]);
        }
        return live;
    }

    private void Work(int worker)
    {
        try
        {
            for (int round = 0; round < _warmUpRounds; round++)
            {
                foreach (var target in _startModels.SelectMany(m => m.Targets))
                {
                    int length = target.Latent.MaxLength;
                    foreach (int n in new[] { 1, _queue.MaxBatchSize })
                    {
                        target.Run(new float[n * target.Latent.Elements(length)], Enumerable.Repeat(length, n).ToArray(), length);
                    }
                }
            }
        }
        catch (Exception e)
        {
            _ready.TrySetException(e);
        }
        if (Interlocked.Decrement(ref _warming) == 0)
        {
            _ready.TrySetResult();
        }
        var batch = new List<InferenceJob>(_queue.MaxBatchSize);
        var expired = new List<InferenceJob>();
        while (_queue.TryTake(batch, expired))
        {
            foreach (var job in expired)
            {
                _metrics.Dropped(job);
                job.Completion.TrySetException(job.Cancellation.IsCancellationRequested
                    ? new FrameException(StatusCode.Cancelled, "call cancelled before the frame was computed")
                    : new FrameException(StatusCode.DeadlineExceeded, "the frame could not be computed before its deadline; it was not computed"));
            }
            if (batch.Count > 0)
            {
                Execute(batch);
                // TorchSharp counts live tensors per thread: each worker reports its own after every batch.
                Volatile.Write(ref _liveTensors[worker], TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            }
        }
    }

    private void Execute(List<InferenceJob> batch)
    {
        var (target, padded) = batch[0].Key;
        int n = batch.Count;
        var (inputs, used, lengths) = Pad(batch, target, padded);
        SplitOutput output;
        UseThreads(n);
        long start = _clock.GetTimestamp();
        try
        {
            output = target.Run(inputs.AsSpan(0, used), lengths, padded);
        }
        catch (Exception e)
        {
            ServerLog.InferenceFailed(_logger, target.Model.Id, e);
            foreach (var job in batch)
            {
                job.Completion.TrySetException(new FrameException(StatusCode.Internal, $"inference failed: {e.Message}"));
            }
            return;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(inputs);
        }
        var compute = _clock.GetElapsedTime(start);
        _queue.RecordExecution(n, compute);
        // Warm-up jobs of a newly loaded model are not traffic: they stay out of metrics and statistics.
        var served = batch.FindAll(j => j.Bounded);
        if (served.Count > 0)
        {
            _metrics.Executed(target.Model, served, compute);
        }
        int classes = target.Part.Classes, embedding = target.Part.EmbeddingSize;
        for (int i = 0; i < n; i++)
        {
            batch[i].Completion.TrySetResult(new FrameOutput(
                output.Probabilities?.AsSpan(i * classes, classes).ToArray(),
                output.Embeddings?.AsSpan(i * embedding, embedding).ToArray()));
        }
    }

    /// <summary>
    /// Lays the batch's ŷ end to end, each frame as (C, <paramref name="padded"/>, …) with zeros
    /// past its own length along the variable axis (a fixed latent is copied as it is), in a
    /// pooled buffer of which the first <c>Used</c> values are the batch.
    /// </summary>
    private static (float[] Inputs, int Used, int[] Lengths) Pad(List<InferenceJob> batch, InferenceTarget target, int padded)
    {
        var latent = target.Latent;
        int row = padded * latent.StepElements, frame = latent.Channels * row;
        int total = batch.Count * frame;
        var inputs = ArrayPool<float>.Shared.Rent(total);
        // Pooled memory holds old values: the padding must be zeros.
        Array.Clear(inputs, 0, total);
        var lengths = new int[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            var job = batch[i];
            lengths[i] = job.Length;
            int used = job.Length * latent.StepElements;
            for (int c = 0; c < latent.Channels; c++)
            {
                job.Input.AsSpan(c * used, used).CopyTo(inputs.AsSpan(i * frame + c * row));
            }
        }
        return (inputs, total, lengths);
    }

    /// <summary>
    /// With <see cref="SplitNetServerOptions.TorchThreads"/> 0, small batches run on one intra-op
    /// thread: spreading a tiny forward over every core costs more in synchronisation (and in
    /// cores taken from gRPC) than it gains; large batches use every core.
    /// </summary>
    private void UseThreads(int batchSize)
    {
        if (_torchThreads > 0 || _workers.Length > 1)
        {
            return;
        }
        int threads = batchSize < SmallBatch ? 1 : Environment.ProcessorCount;
        if (threads != _currentThreads)
        {
            TorchSharp.torch.set_num_threads(threads);
            _currentThreads = threads;
        }
    }

    private const int SmallBatch = 8;

    public void Dispose()
    {
        _queue.Complete();
        foreach (var worker in _workers)
        {
            worker?.Join();
        }
    }
}
