using SplitNet.Models.Split;
using SplitNet.Server.Inference;
using SplitNet.Server.Telemetry;

namespace SplitNet.Server.Serving;

/// <summary>
/// One version of a served model. Requests lease it while they use it; once it is retired
/// (unloaded or replaced) no new lease is granted, and it is disposed when the last one ends, so
/// a swap never pulls weights from under an in-flight request.
/// </summary>
internal abstract class ServedModel : IDisposable
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _leases;
    private volatile bool _retired;

    public abstract string Id { get; }
    public abstract int Version { get; }
    public abstract IReadOnlyList<string> Labels { get; }

    /// <summary>Folder the model was loaded from.</summary>
    public required string Directory { get; init; }

    /// <summary>Every batching target (split point or rate level) of this version.</summary>
    public abstract IReadOnlyList<InferenceTarget> Targets { get; }

    /// <summary>What its answers carry.</summary>
    public abstract OutputKind Output { get; }

    /// <summary>Floats per embedding (0 without one).</summary>
    public virtual int EmbeddingSize => 0;

    /// <summary>Counts behind the statistics endpoint.</summary>
    public ModelStatistics Statistics { get; } = new();

    /// <summary>Takes a lease; false once the model is retired (resolve again).</summary>
    public bool TryAcquire()
    {
        Interlocked.Increment(ref _leases);
        if (_retired)
        {
            Release();
            return false;
        }
        return true;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0 && _retired)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>Refuses new leases and completes when the last lease is released.</summary>
    public Task RetireAsync()
    {
        _retired = true;
        if (Volatile.Read(ref _leases) == 0)
        {
            _drained.TrySetResult();
        }
        return _drained.Task;
    }

    public abstract void Dispose();
}
