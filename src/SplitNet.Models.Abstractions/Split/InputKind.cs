namespace SplitNet.Models.Split;

/// <summary>What the edge part of a split model reads.</summary>
public enum InputKind
{
    /// <summary>An 8-bit grayscale image of the model's fixed size.</summary>
    Image,

    /// <summary>A sequence of token ids.</summary>
    Tokens,
}
