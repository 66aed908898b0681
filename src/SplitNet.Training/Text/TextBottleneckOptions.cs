using SplitNet.Models.Text;

namespace SplitNet.Training.Text;

/// <summary>Settings of a per-token bottleneck run, kept in its state.json; a run resumes only with the same.</summary>
/// <param name="Beta">Weight of the rate, in bits per token.</param>
/// <param name="CosineWeight">Weight of 1 − cosine between the split's sentence embedding and the unsplit model's (stage 2).</param>
/// <param name="CutEpochs">Stage 1: epochs on the hidden state at the cut alone (squared error + β·bits), which need no tail.</param>
/// <param name="Epochs">Stage 2: epochs with the sentence embedding through the frozen tail added.</param>
/// <param name="TailLearningRate">Adam's rate in stage 2 (stage 1 uses <paramref name="LearningRate"/>), both cosine-annealed to 1/20.</param>
/// <param name="DensityRateScale">The factorized prior's density and quantiles learn this many times faster than g_a and g_s, so the rate term follows the latent instead of lagging it by epochs.</param>
/// <param name="TrainLimit">Train on this many sentences drawn at random (seeded); 0: all.</param>
public sealed record TextBottleneckOptions(
    TokenBottleneckConfig Bottleneck,
    double Beta = 1e-3,
    double CosineWeight = 1,
    int CutEpochs = 8,
    int Epochs = 2,
    int BatchSize = 64,
    double LearningRate = 1e-3,
    double TailLearningRate = 3e-4,
    double DensityRateScale = 1,
    int Seed = 1,
    int TrainLimit = 0);

/// <summary>Progress of a per-token bottleneck run, saved as <c>state.json</c> after every epoch.</summary>
public sealed record TextBottleneckCheckpoint : ITrainingState
{
    public required TextBottleneckOptions Options { get; init; }

    /// <summary>What the hidden states at the cut look like before training (the massive-activation check).</summary>
    public required CutStatistics Cut { get; init; }

    /// <summary>The stage being run: 1 (the cut alone) or 2 (with the sentence embedding), where more epochs may be asked for later.</summary>
    public int Stage { get; init; } = 1;

    /// <summary>Epochs finished in <see cref="Stage"/>.</summary>
    public int EpochsDone { get; init; }
    public double Seconds { get; init; }
    public List<TextEpochRecord> History { get; init; } = [];
}

/// <summary>Per-dimension statistics of the hidden state at the cut, over every training sentence's tokens.</summary>
/// <param name="LargestDimensions">The dimensions of largest mean |h|, largest first.</param>
/// <param name="LargestMeanAbs">Their mean |h|.</param>
/// <param name="MedianMeanAbs">The median over all dimensions of mean |h|.</param>
/// <param name="LargestRelativeSpread">Their standard deviation over their mean |h|: small means nearly constant.</param>
public sealed record CutStatistics(int[] LargestDimensions, double[] LargestMeanAbs, double MedianMeanAbs, double[] LargestRelativeSpread, int Tokens);

/// <summary>One finished epoch with its unweighted loss terms (per token, and per sentence for the cosine, which stage 1 does not compute).</summary>
public sealed record TextEpochRecord(int Stage, int Epoch, double Loss, double Seconds, double SquaredError, double BitsPerToken, double? Cosine);
