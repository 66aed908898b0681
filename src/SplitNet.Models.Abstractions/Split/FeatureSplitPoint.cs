using SplitNet.Codec;

namespace SplitNet.Models.Split;

/// <summary>A point at which a network can be cut and sent as a feature, and the feature's shape there.</summary>
/// <param name="Id">The split point as carried in feature payload headers.</param>
/// <param name="Name">The split point's name (a teacher's stage, or a tensor of an imported graph).</param>
public sealed record FeatureSplitPoint(byte Id, string Name, LatentShape Feature)
{
    /// <summary>
    /// The split point before the first layer: the input itself (an image payload, <see cref="ImageCodec"/>),
    /// and the whole model on the server, the server-only deployment.
    /// </summary>
    public const byte InputId = 255;

    /// <summary>The input split point of a model whose input has shape <paramref name="input"/>.</summary>
    public static FeatureSplitPoint Input(params int[] input) => new(InputId, "input", new LatentShape(input));
}

/// <summary>The edge side of a feature split: a float feature per input, for a feature codec.</summary>
/// <remarks>Not thread-safe: use an instance from one thread.</remarks>
public interface IFeatureEdgePart
{
    string ModelId { get; }
    FeatureSplitPoint Point { get; }
    TensorShape Shape => new(Point.Feature.Dimensions);

    /// <summary>The feature's shape for <paramref name="input"/>: <see cref="Shape"/>, except along a variable axis (tokens).</summary>
    TensorShape ShapeOf(SplitInput input) => Shape;

    /// <summary>The feature at the split point for one input, as a managed array.</summary>
    float[] Features(SplitInput input);
}
