namespace SplitNet.Codec;

/// <summary>Outcome of decoding a payload. Anything but <see cref="Ok"/> means the input was bad.</summary>
public enum DecodeStatus
{
    Ok,
    /// <summary>The header is missing, truncated or names an unknown codec.</summary>
    BadHeader,
    /// <summary>The caller expected another shape than the header declares.</summary>
    ShapeMismatch,
    /// <summary>The body does not decode to exactly the declared number of values.</summary>
    CorruptBody,
}
