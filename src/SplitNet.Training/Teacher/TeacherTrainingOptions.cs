namespace SplitNet.Training.Teacher;

/// <summary>Hyper-parameters of <c>splitnet train teacher</c>.</summary>
public sealed record TeacherTrainingOptions
{
    /// <summary>Passes over the training set. Default 20.</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>Images per optimiser step. Default 128.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Peak learning rate of the one-cycle schedule (AdamW). Default 3e-3.</summary>
    public double MaxLearningRate { get; init; } = 3e-3;

    /// <summary>Decoupled weight decay of AdamW. Default 5e-4.</summary>
    public double WeightDecay { get; init; } = 5e-4;

    /// <summary>Label smoothing of the cross-entropy loss. Default 0.05.</summary>
    public double LabelSmoothing { get; init; } = 0.05;

    /// <summary>Random-crop padding in pixels (shift range). Default 2.</summary>
    public int CropPadding { get; init; } = 2;

    /// <summary>Seed of weight initialisation, data order and augmentation. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Use only the first N training images (0 = all); for smoke tests.</summary>
    public int TrainLimit { get; init; }

    /// <summary>Evaluate on only the first N test images (0 = all).</summary>
    public int TestLimit { get; init; }
}
