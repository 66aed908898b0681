using SplitNet.Models.Teacher;

namespace SplitNet.Training.Teacher;

/// <summary>What a training run has done so far, saved as <c>state.json</c> after every epoch.</summary>
public sealed record TeacherCheckpoint : SingleStageCheckpoint
{
    /// <summary>The network being trained.</summary>
    public required TeacherConfig Architecture { get; init; }

    /// <summary>The settings the run was started with.</summary>
    public required TeacherTrainingOptions Options { get; init; }
}
