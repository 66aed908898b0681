namespace SplitNet.Training;

/// <summary>One finished epoch of a single-stage run, as kept in its <c>state.json</c>.</summary>
public sealed record EpochRecord(int Epoch, double TrainLoss, double TestAccuracy, double Seconds);
