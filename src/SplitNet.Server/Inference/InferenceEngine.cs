using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SplitNet.Server.Models;

namespace SplitNet.Server.Inference;

/// <summary>
/// Runs the deep layers on dedicated threads fed by one bounded queue. TorchSharp dispose scopes
/// are per thread, so every forward happens start to finish on a worker thread, never across an
/// await; results are copied to managed arrays before the scope closes.
/// </summary>
internal sealed class InferenceEngine : IDisposable
{
    private readonly Channel<InferenceJob> _queue;
    private readonly Thread[] _workers;
    private readonly ILogger<InferenceEngine> _logger;

    private readonly ModelRegistry _registry;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _warming;

    public InferenceEngine(ModelRegistry registry, IOptions<SplitNetServerOptions> options, ILogger<InferenceEngine> logger)
    {
        _registry = registry;
        _logger = logger;
        var settings = options.Value;
        _queue = Channel.CreateBounded<InferenceJob>(new BoundedChannelOptions(settings.QueueCapacity)
        {
            SingleReader = settings.Workers == 1,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _workers = new Thread[settings.Workers];
        _warming = settings.Workers;
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(Work) { IsBackground = true, Name = $"splitnet-inference-{i}" };
            _workers[i].Start();
        }
        ServerLog.EngineStarted(logger, settings.Workers, settings.QueueCapacity);
    }

    /// <summary>Completes when every worker has run every model once (its first, slow forward).</summary>
    public Task Ready => _ready.Task;

    /// <summary>Queues a job; false when the queue is full (the caller answers RESOURCE_EXHAUSTED).</summary>
    public bool TryEnqueue(InferenceJob job) => _queue.Writer.TryWrite(job);

    private void Work()
    {
        // libtorch sets up per-thread state on a thread's first forward: pay it before traffic.
        try
        {
            foreach (var (target, input) in _registry.WarmUpInputs())
            {
                target.Probabilities(input);
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
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var job))
            {
                if (job.Cancellation.IsCancellationRequested)
                {
                    job.Completion.TrySetCanceled(job.Cancellation);
                    continue;
                }
                try
                {
                    job.Completion.TrySetResult(job.Target.Probabilities(job.Input));
                }
                catch (Exception e)
                {
                    ServerLog.InferenceFailed(_logger, job.Target.ModelId, e);
                    job.Completion.TrySetException(e);
                }
            }
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        foreach (var worker in _workers)
        {
            worker.Join();
        }
    }
}
