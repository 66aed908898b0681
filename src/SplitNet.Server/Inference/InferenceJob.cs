namespace SplitNet.Server.Inference;

/// <summary>A decoded input waiting for a worker, its deadline, and where the answer goes.</summary>
internal sealed class InferenceJob(IInferenceTarget target, float[] input, long deadline, CancellationToken cancellation)
{
    /// <summary>No deadline.</summary>
    public const long NoDeadline = long.MaxValue;

    public IInferenceTarget Target { get; } = target;
    public float[] Input { get; } = input;

    /// <summary>Timestamp of the server's clock after which the job is dropped instead of computed.</summary>
    public long Deadline { get; } = deadline;
    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>When the job entered the queue (timestamp of the server's clock).</summary>
    public long Enqueued { get; set; }

    /// <summary>Whether the job counts toward the queue's bound.</summary>
    public bool Bounded { get; set; }

    /// <summary>When a worker took it (timestamp of the server's clock).</summary>
    public long Started { get; set; }

    /// <summary>Completes with the class probabilities, or faults with a <see cref="FrameException"/>.</summary>
    public TaskCompletionSource<float[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True when the job would finish after its deadline if it finished at <paramref name="finish"/>, or was cancelled.</summary>
    public bool IsExpired(long finish) => finish > Deadline || Cancellation.IsCancellationRequested;
}
