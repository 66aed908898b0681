using SplitNet.Models.Data;

namespace SplitNet.Edge.Sources;

/// <summary>Where an edge's images come from: 28×28 8-bit grayscale, with a label when one is known.</summary>
public interface IFrameSource
{
    string Name { get; }
    int Count { get; }
    ReadOnlySpan<byte> Image(int index);

    /// <summary>The true class, or −1 when the source does not know it.</summary>
    int Label(int index);
}

/// <summary>A labelled dataset (the Fashion-MNIST test set or the shipped sample).</summary>
public sealed class DatasetSource(LabeledImages images, string name) : IFrameSource
{
    public string Name { get; } = name;
    public int Count => images.Count;
    public ReadOnlySpan<byte> Image(int index) => images.Image(index);
    public int Label(int index) => images.Labels[index];
}
