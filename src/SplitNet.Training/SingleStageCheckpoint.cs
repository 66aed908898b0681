namespace SplitNet.Training;

/// <summary>The part of a one-stage run's <c>state.json</c> that every epoch advances.</summary>
public abstract record SingleStageCheckpoint : ITrainingState
{
    /// <inheritdoc />
    public int EpochsDone { get; init; }

    /// <summary>Training time over all sessions of the run.</summary>
    public double Seconds { get; init; }

    /// <summary>Every finished epoch, in order.</summary>
    public List<EpochRecord> History { get; init; } = [];

    /// <summary><paramref name="state"/> with <paramref name="epoch"/> done and recorded.</summary>
    public static TState After<TState>(TState state, EpochResult epoch)
        where TState : SingleStageCheckpoint =>
        (TState)(state with
        {
            EpochsDone = epoch.Epoch,
            Seconds = state.Seconds + epoch.Seconds,
            History = [.. state.History, new EpochRecord(epoch.Epoch, epoch.Loss, epoch.TestAccuracy ?? 0, epoch.Seconds)],
        });
}
