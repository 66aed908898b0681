namespace SplitNet.Training;

/// <summary>One finished epoch, as the loop hands it to the trainer to record in its state.</summary>
/// <param name="Stage">Stage of the recipe (0 when there is one).</param>
/// <param name="Epoch">1-based epoch within the stage.</param>
/// <param name="Loss">Mean training loss over the epoch's steps.</param>
/// <param name="Seconds">Time of the epoch, its evaluation included.</param>
/// <param name="TestAccuracy">The epoch's evaluation, when the stage has one.</param>
public sealed record EpochResult(int Stage, int Epoch, double Loss, double Seconds, double? TestAccuracy);
