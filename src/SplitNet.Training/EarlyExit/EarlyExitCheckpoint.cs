namespace SplitNet.Training.EarlyExit;

/// <summary>What an early-exit run has done so far, saved as <c>state.json</c> after every epoch.</summary>
public sealed record EarlyExitCheckpoint : SingleStageCheckpoint
{
    /// <summary>The settings the run was started with.</summary>
    public required EarlyExitOptions Options { get; init; }

    /// <summary>SHA-256 of the frozen edge half's weights: a head only resumes on the edge it was trained on.</summary>
    public required string Edge { get; init; }

    /// <summary>Training images of the run.</summary>
    public required int Images { get; init; }
}
