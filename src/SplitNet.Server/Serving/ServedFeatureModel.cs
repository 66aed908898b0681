using SplitNet.Codec;
using SplitNet.Models.Split;
using SplitNet.Models.Text;
using SplitNet.Server.Inference;

namespace SplitNet.Server.Serving;

/// <summary>A model served for feature payloads (self-describing, naive codecs): it continues from any of its split points.</summary>
internal abstract class ServedFeatureModel : ServedModel
{
    /// <summary>Where the model can be cut, in order; a payload header's split point indexes it.</summary>
    public abstract IReadOnlyList<FeatureSplitPoint> SplitPoints { get; }

    /// <summary>The feature codecs its frames may use.</summary>
    public abstract IReadOnlyList<CodecId> Codecs { get; }

    /// <summary>SHA-256 of the weights (or of the imported file) it serves.</summary>
    public abstract string WeightsSha256 { get; }

    /// <summary>The whole model on its input (<see cref="FeatureSplitPoint.InputId"/>), or null where the model takes no input payloads.</summary>
    public virtual InferenceTarget? Whole => null;

    /// <summary>What tokenizes sentence payloads (<see cref="CodecId.Utf8Text"/>) for <see cref="Whole"/>, or null where the model takes none.</summary>
    public virtual WordPieceTokenizer? Tokenizer => null;

    /// <summary>The deep layers after split point <paramref name="split"/>, or null if there is none.</summary>
    public InferenceTarget? Tail(byte split) => split == FeatureSplitPoint.InputId ? Whole : split < SplitPoints.Count ? Targets[split] : null;

    /// <summary>The name of split point <paramref name="split"/>, which <see cref="Tail"/> found.</summary>
    public string PointName(byte split) => split == FeatureSplitPoint.InputId ? "input" : SplitPoints[split].Name;
}
