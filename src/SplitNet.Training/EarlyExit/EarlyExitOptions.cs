namespace SplitNet.Training.EarlyExit;

/// <summary>Settings of early-exit training; defaults are what the shipped heads used.</summary>
/// <param name="Epochs">Passes over the training set. Default 3.</param>
/// <param name="BatchSize">Images per optimiser step. Default 128.</param>
/// <param name="LearningRate">Starting rate of Adam, cosine-annealed to 0 over the run. Default 2e-3.</param>
/// <param name="Temperature">Distillation temperature T. Default 2.</param>
/// <param name="LabelWeight">Weight of the cross-entropy on the labels against the distillation term. Default 0.5.</param>
/// <param name="Seed">Seed of the head's initialisation, data order and augmentation. Default 1.</param>
/// <param name="CropPadding">Random-crop padding in pixels of the augmentation (0: mirroring only). Default 0.</param>
public sealed record EarlyExitOptions(
    int Epochs = 3, int BatchSize = 128, double LearningRate = 2e-3, double Temperature = 2, double LabelWeight = 0.5, int Seed = 1, int CropPadding = 0);
