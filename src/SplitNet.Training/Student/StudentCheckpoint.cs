using SplitNet.Models.Student;

namespace SplitNet.Training.Student;

/// <summary>Progress of a student run, saved as <c>state.json</c> after every epoch.</summary>
public sealed record StudentCheckpoint : ITrainingState
{
    /// <summary>The settings the run was started with.</summary>
    public required StudentTrainingOptions Options { get; init; }

    /// <summary>The student being trained.</summary>
    public required StudentConfig Architecture { get; init; }

    /// <summary>The stage being run (1 or 2); 3 once both are done.</summary>
    public int Stage { get; init; } = 1;

    /// <summary>Epochs finished in <see cref="Stage"/>.</summary>
    public int EpochsDone { get; init; }

    /// <summary>Training time over all sessions of the run.</summary>
    public double Seconds { get; init; }

    /// <summary>Every finished epoch of both stages, in order.</summary>
    public List<StudentEpochRecord> History { get; init; } = [];
}

/// <summary>One finished epoch of one stage; stage 1 also records its unweighted loss terms.</summary>
public sealed record StudentEpochRecord(int Stage, int Epoch, double Loss, double Seconds, StudentLossTerms? Terms = null);

/// <summary>Per-image means: squared feature error, bits of the latent, KL(teacher ‖ student) on the logits.</summary>
public sealed record StudentLossTerms(double SquaredError, double Bits, double Kl);
