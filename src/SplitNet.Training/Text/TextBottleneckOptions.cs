using SplitNet.Models.Text;

namespace SplitNet.Training.Text;

/// <summary>Settings of a per-token bottleneck run, kept in its state.json; a run resumes only with the same.</summary>
/// <param name="Beta">Weight of the rate, in bits per token.</param>
/// <param name="CosineWeight">Weight of 1 − cosine between the split's sentence embedding and the unsplit model's.</param>
/// <param name="TrainLimit">Use only the first N training sentences (0: all).</param>
public sealed record TextBottleneckOptions(
    TokenBottleneckConfig Bottleneck,
    double Beta = 1e-3,
    double CosineWeight = 1,
    int Epochs = 2,
    int BatchSize = 64,
    double LearningRate = 1e-3,
    int Seed = 1,
    int TrainLimit = 0);

/// <summary>Progress of a per-token bottleneck run, saved as <c>state.json</c> after every epoch.</summary>
public sealed record TextBottleneckCheckpoint : ITrainingState
{
    public required TextBottleneckOptions Options { get; init; }

    /// <summary>What the hidden states at the cut look like before training (the massive-activation check).</summary>
    public required CutStatistics Cut { get; init; }

    public int EpochsDone { get; init; }
    public double Seconds { get; init; }
    public List<TextEpochRecord> History { get; init; } = [];
}

/// <summary>Per-dimension statistics of the hidden state at the cut, over the training sentences' tokens.</summary>
/// <param name="LargestDimensions">The dimensions of largest mean |h|, largest first.</param>
/// <param name="LargestMeanAbs">Their mean |h|.</param>
/// <param name="MedianMeanAbs">The median over all dimensions of mean |h|.</param>
/// <param name="LargestRelativeSpread">Their standard deviation over their mean |h|: small means nearly constant.</param>
public sealed record CutStatistics(int[] LargestDimensions, double[] LargestMeanAbs, double MedianMeanAbs, double[] LargestRelativeSpread, int Tokens);

/// <summary>One finished epoch with its unweighted loss terms (per token, and per sentence for the cosine).</summary>
public sealed record TextEpochRecord(int Epoch, double Loss, double Seconds, double SquaredError, double BitsPerToken, double Cosine);
