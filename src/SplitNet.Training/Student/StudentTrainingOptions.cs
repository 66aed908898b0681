namespace SplitNet.Training.Student;

/// <summary>Hyper-parameters of <c>splitnet train student</c>.</summary>
public sealed record StudentTrainingOptions
{
    /// <summary>β: weight of the rate (bits per image) against the distortion. Required.</summary>
    public double Beta { get; init; } = 1;

    /// <summary>Stage 1 (head distillation with rate) epochs. Default 6.</summary>
    public int Stage1Epochs { get; init; } = 6;

    /// <summary>Stage 2 (decoder and tail fine-tuning on the frozen, quantized latent) epochs. Default 3.</summary>
    public int Stage2Epochs { get; init; } = 3;

    /// <summary>Images per optimiser step. Default 128.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Random-crop padding in pixels (shift range) of the augmentation, both stages. Default 2.</summary>
    public int CropPadding { get; init; } = 2;

    /// <summary>Adam learning rate of stage 1. Default 1e-3.</summary>
    public double Stage1LearningRate { get; init; } = 1e-3;

    /// <summary>Adam learning rate of stage 2. Default 2e-4.</summary>
    public double Stage2LearningRate { get; init; } = 2e-4;

    /// <summary>Weight of the squared feature error (at the split and after stage 3) in stage 1. Default 1 (the paper).</summary>
    public double FeatureWeight { get; init; } = 1;

    /// <summary>
    /// Weight of KL(teacher ‖ student) on the logits in stage 1 (the task in the bottleneck's
    /// loss). 0 is the paper's plain recipe. Default 0.
    /// </summary>
    public double TaskWeight { get; init; }

    /// <summary>
    /// Feed the decoder round(y − m) + m with a straight-through gradient in stage 1 (noise stays
    /// for the rate term). False is the paper's plain recipe (noise everywhere). Default false.
    /// </summary>
    public bool StraightThrough { get; init; }

    /// <summary>
    /// Train the tail (stage 3 and head, starting from the teacher's) with the decoder in stage 1,
    /// so both adapt to the bottleneck. False is the paper's plain recipe (tail frozen). Default false.
    /// </summary>
    public bool Stage1Tail { get; init; }

    /// <summary>
    /// Cosine-anneal each stage's learning rate to a twentieth of its start over the stage's steps.
    /// False is the paper's plain recipe (constant rate). Default false.
    /// </summary>
    public bool CosineDecay { get; init; }

    /// <summary>
    /// A finished run whose encoder, entropy model and decoder start this one (a neighbouring rate
    /// level, so a new β needs a few epochs instead of a whole run). Null: from scratch.
    /// </summary>
    public string? InitFrom { get; init; }

    /// <summary>
    /// Adam learning rate in stage 1 of <c>g_a</c>'s copy of the teacher's stage-2 first block
    /// (teacher-block encoder), annealed with the rest; its batch norms keep the teacher's
    /// statistics. The stem and stage 1 stay frozen either way. 0: a frozen copy (the default).
    /// </summary>
    public double TeacherBlockLearningRate { get; init; }

    /// <summary>
    /// Train one variable-rate student for every rung of this ladder instead of one rate: each
    /// image's decoder sees only the first n latent channels (the rest zero), n drawn uniformly
    /// from the rungs (and all of them too, with the ladder's sandwich rule), so every prefix of
    /// the channels becomes a usable latent. The rate term counts every channel, each at its
    /// rung's β (<see cref="ChannelLadder.ChannelBetas"/>). Null: one rate.
    /// </summary>
    public ChannelLadder? Ladder { get; init; }

    /// <summary>Seed of weight initialisation, data order, augmentation and the stage-1 noise. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Train on the first N images only (0 = all).</summary>
    public int TrainLimit { get; init; }

    /// <summary>Evaluate on the first N test images only (0 = all).</summary>
    public int TestLimit { get; init; }
}
