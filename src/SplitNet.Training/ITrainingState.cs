namespace SplitNet.Training;

/// <summary>A run's <c>state.json</c>, as far as <see cref="TrainingLoop"/> needs to read it.</summary>
public interface ITrainingState
{
    /// <summary>Epochs finished in the stage being run.</summary>
    int EpochsDone { get; }
}
