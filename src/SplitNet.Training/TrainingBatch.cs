using static TorchSharp.torch;

namespace SplitNet.Training;

/// <summary>One step's data: the augmented images, their labels and which training images they are.</summary>
/// <param name="Images">Normalised, augmented images (N, 1, H, W).</param>
/// <param name="Labels">Class labels (N), int64.</param>
/// <param name="Indices">Positions of the images in the training set, in batch order.</param>
public sealed record TrainingBatch(Tensor Images, Tensor Labels, ReadOnlyMemory<int> Indices);
