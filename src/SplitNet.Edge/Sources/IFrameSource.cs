using SplitNet.Models.Data;
using SplitNet.Models.Split;

namespace SplitNet.Edge.Sources;

/// <summary>Where an edge's inputs come from (images, or sentences as token ids), with a label when one is known.</summary>
public interface IFrameSource
{
    string Name { get; }
    int Count { get; }

    /// <summary>The model input of frame <paramref name="index"/>.</summary>
    SplitInput Input(int index);

    /// <summary>The true class, or −1 when the source does not know it.</summary>
    int Label(int index);
}

/// <summary>A labelled dataset (the Fashion-MNIST test set or the shipped sample).</summary>
public sealed class DatasetSource(LabeledImages images, string name) : IFrameSource
{
    public string Name { get; } = name;
    public int Count => images.Count;
    public SplitInput Input(int index) => SplitInput.Image(images.Image(index));
    public int Label(int index) => images.Labels[index];
}
