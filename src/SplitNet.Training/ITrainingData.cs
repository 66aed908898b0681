using SplitNet.Models.Data;

namespace SplitNet.Training;

/// <summary>
/// Where a stage's batches come from: how many examples there are, and one step's batch of the
/// examples at <c>indices</c>, built inside the step's dispose scope and drawing any randomness
/// (augmentation) from the epoch's generator, so a resumed run sees the same data.
/// </summary>
public interface ITrainingData<out TBatch>
{
    int Count { get; }

    TBatch Batch(ReadOnlyMemory<int> indices, Random random);
}

/// <summary>Labelled images, randomly cropped by <paramref name="cropPadding"/> pixels and mirrored.</summary>
/// <param name="cropPadding">Random-crop padding in pixels (0: mirroring only).</param>
public sealed class ImageTrainingData(LabeledImages images, int cropPadding) : ITrainingData<TrainingBatch>
{
    private readonly byte[] _labels = new byte[images.Count];

    public int Count => images.Count;

    public TrainingBatch Batch(ReadOnlyMemory<int> indices, Random random)
    {
        var labels = _labels.AsSpan(0, indices.Length);
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = images.Labels[indices.Span[i]];
        }
        return new TrainingBatch(TrainingTensors.Augmented(images, indices.Span, cropPadding, random), TrainingTensors.Labels(labels), indices);
    }
}
