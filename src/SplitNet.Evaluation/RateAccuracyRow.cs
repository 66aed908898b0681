namespace SplitNet.Evaluation;

/// <summary>One point of the rate–accuracy comparison.</summary>
/// <param name="Method">entropic-student, entropic-student-plain, png, webp, jpeg, split-affine8-lz4, split-float32, teacher...</param>
/// <param name="Setting">β for students, quality for codecs.</param>
/// <param name="Accuracy">Top-1 accuracy on the evaluated images.</param>
/// <param name="BytesPerImage">Mean bytes sent per image (coded payload without protocol framing).</param>
/// <param name="IdealBytesPerImage">Entropic rows: mean Σ −log₂ p under the same integer tables.</param>
/// <param name="CompactBytesPerImage">Entropic rows: mean bytes of the compact stream.</param>
/// <param name="EncoderMacs">MACs per image on the device, where it runs a model part.</param>
/// <param name="OneStreamBytesPerImage">Top rung of a variable-rate row: mean bytes of its latent in one compact stream instead of segments.</param>
public sealed record RateAccuracyRow(
    string Method,
    string Setting,
    double Accuracy,
    double BytesPerImage,
    double? IdealBytesPerImage = null,
    double? CompactBytesPerImage = null,
    long? EncoderMacs = null,
    double? OneStreamBytesPerImage = null)
{
    /// <summary>Coded over ideal size, for entropic rows.</summary>
    public double? Overhead => IdealBytesPerImage is > 0 and var ideal ? BytesPerImage / ideal : null;
}
