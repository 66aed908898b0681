using SplitNet.Codec;

namespace SplitNet.Models.Split;

/// <summary>A point at which a network can be cut and sent as a feature, and the feature's shape there.</summary>
/// <param name="Id">The split point as carried in feature payload headers.</param>
/// <param name="Name">The split point's name (a teacher's stage, or a tensor of an imported graph).</param>
public sealed record FeatureSplitPoint(byte Id, string Name, LatentShape Feature);

/// <summary>The edge side of a feature split: a float feature per input, for a feature codec.</summary>
/// <remarks>Not thread-safe: use an instance from one thread.</remarks>
public interface IFeatureEdgePart
{
    string ModelId { get; }
    FeatureSplitPoint Point { get; }
    TensorShape Shape => new(Point.Feature.Dimensions);

    /// <summary>The feature at the split point for one input, as a managed array.</summary>
    float[] Features(SplitInput input);
}
