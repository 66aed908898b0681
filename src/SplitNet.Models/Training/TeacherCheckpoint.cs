using SplitNet.Models.Teacher;

namespace SplitNet.Models.Training;

/// <summary>What a training run has done so far, saved as <c>state.json</c> after every epoch.</summary>
public sealed record TeacherCheckpoint
{
    public required TeacherConfig Architecture { get; init; }
    public required TeacherTrainingOptions Options { get; init; }
    public int EpochsDone { get; init; }
    public double Seconds { get; init; }
    public List<EpochRecord> History { get; init; } = [];
}

/// <summary>One finished epoch.</summary>
public sealed record EpochRecord(int Epoch, double TrainLoss, double TestAccuracy, double Seconds);
