using SplitNet.Codec;
using SplitNet.Contracts.V1;
using SplitNet.Models.Split;

namespace SplitNet.Edge;

/// <summary>
/// The edge side of a feature split: the model's layers up to the split point on one image, the
/// feature coded into a self-describing payload (<see cref="FeatureCodec"/>). Not thread-safe.
/// </summary>
public sealed class EdgeHead(IFeatureEdgePart part, CodecId codec) : IFrameEncoder
{
    /// <summary>Feature payloads describe themselves: nothing to declare.</summary>
    public StreamOpen? Open => null;

    public FeatureSplitPoint Split => part.Point;
    public CodecId Codec { get; } = codec;
    public string ModelId => part.ModelId;
    /// <summary>The feature's shape (at the longest input, for a variable one).</summary>
    public TensorShape FeatureShape => part.Shape;

    /// <summary>The feature after the split point for one image, as a managed array.</summary>
    public float[] Features(SplitInput input) => part.Features(input);

    /// <summary>Runs the head on one image and returns the coded payload.</summary>
    public byte[] Encode(SplitInput input) => FeatureCodec.Encode(Codec, ModelId, Split.Id, part.ShapeOf(input), Features(input));

    EncodedFrame IFrameEncoder.Encode(SplitInput input) => new(Encode(input), 0);
}
