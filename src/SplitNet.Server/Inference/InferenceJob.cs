namespace SplitNet.Server.Inference;

/// <summary>A decoded input waiting for a worker, and where the answer goes.</summary>
internal sealed class InferenceJob(IInferenceTarget target, float[] input, IReadOnlyList<string> labels, CancellationToken cancellation)
{
    public IInferenceTarget Target { get; } = target;
    public float[] Input { get; } = input;
    public IReadOnlyList<string> Labels { get; } = labels;
    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Completes with the class probabilities.</summary>
    public TaskCompletionSource<float[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
