using SplitNet.Models.Teacher;
using SplitNet.Server.Models;

namespace SplitNet.Server.Inference;

/// <summary>Decoded features waiting for a worker, and where the answer goes.</summary>
internal sealed class InferenceJob(ServedModel model, TeacherStage split, float[] features, int[] shape, CancellationToken cancellation)
{
    public ServedModel Model { get; } = model;
    public TeacherStage Split { get; } = split;
    public float[] Features { get; } = features;
    public int[] Shape { get; } = shape;
    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Completes with the class probabilities.</summary>
    public TaskCompletionSource<float[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
