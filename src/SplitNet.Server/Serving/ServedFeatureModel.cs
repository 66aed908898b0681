using SplitNet.Codec;
using SplitNet.Models.Split;
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

    /// <summary>The deep layers after split point <paramref name="split"/>, or null if there is none.</summary>
    public InferenceTarget? Tail(byte split) => split < Targets.Count ? Targets[split] : null;
}
