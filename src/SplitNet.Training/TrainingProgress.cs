namespace SplitNet.Training;

/// <summary>A progress report from a training loop.</summary>
/// <param name="Epoch">1-based epoch being run.</param>
/// <param name="Epochs">Total epochs.</param>
/// <param name="Step">Steps done in this epoch.</param>
/// <param name="Steps">Steps per epoch.</param>
/// <param name="Loss">Running mean training loss of this epoch.</param>
/// <param name="ExamplesPerSecond">Training throughput so far in this epoch.</param>
/// <param name="TestAccuracy">Set once the epoch's evaluation is done.</param>
/// <param name="Stage">Training stage, for multi-stage recipes (0 when there is one).</param>
/// <param name="Detail">Extra running figures to show, such as the separate loss terms.</param>
public sealed record TrainingProgress(
    int Epoch,
    int Epochs,
    int Step,
    int Steps,
    double Loss,
    double ExamplesPerSecond,
    double? TestAccuracy = null,
    int Stage = 0,
    string Detail = "");
