namespace SplitNet.Server.Inference;

/// <summary>A decoded latent waiting for a worker, its deadline, and where the answer goes.</summary>
/// <param name="input">ŷ of one frame, channel-major, <c>Latent.Elements(length)</c> values.</param>
/// <param name="length">The frame's length along the variable axis (the fixed length otherwise).</param>
internal sealed class InferenceJob(InferenceTarget target, float[] input, int length, long deadline, CancellationToken cancellation)
{
    /// <summary>No deadline.</summary>
    public const long NoDeadline = long.MaxValue;

    public InferenceTarget Target { get; } = target;
    public float[] Input { get; } = input;
    public int Length { get; } = length;

    /// <summary>The batch this job joins: its target and padded length.</summary>
    public BatchKey Key { get; } = new(target, target.PaddedLength(length));

    /// <summary>Timestamp of the server's clock after which the job is dropped instead of computed.</summary>
    public long Deadline { get; } = deadline;
    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>When the job entered the queue (timestamp of the server's clock).</summary>
    public long Enqueued { get; set; }

    /// <summary>Whether the job counts toward the queue's bound.</summary>
    public bool Bounded { get; set; }

    /// <summary>When a worker took it (timestamp of the server's clock).</summary>
    public long Started { get; set; }

    /// <summary>Completes with the frame's outputs, or faults with a <see cref="FrameException"/>.</summary>
    public TaskCompletionSource<FrameOutput> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True when the job would finish after its deadline if it finished at <paramref name="finish"/>, or was cancelled.</summary>
    public bool IsExpired(long finish) => finish > Deadline || Cancellation.IsCancellationRequested;
}

/// <summary>One frame's outputs: class probabilities and/or an embedding, as its model answers.</summary>
internal sealed record FrameOutput(float[]? Probabilities, float[]? Embedding);
