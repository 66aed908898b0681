namespace SplitNet.Codec.Entropy;

/// <summary>
/// The constants that tell one rANS stream format from another. Implemented by empty structs so
/// the JIT specialises <see cref="RansCoder{TFormat}"/> for each format.
/// </summary>
internal interface IRansFormat
{
    /// <summary>L: the state stays in [L, L·2^WordBits) between symbols; it starts and ends at L.</summary>
    static abstract ulong Lower { get; }

    /// <summary>Bits moved per renormalisation step (32 for words, 8 for bytes).</summary>
    static abstract int WordBits { get; }

    /// <summary>Bytes of the final state written at the front of the stream.</summary>
    static abstract int StateBytes { get; }
}

/// <summary>ryg_rans <c>rans64.h</c>, as CompressAI uses it: 64-bit state, 32-bit words.</summary>
internal readonly struct Rans64Format : IRansFormat
{
    public static ulong Lower => 1ul << 31;
    public static int WordBits => 32;
    public static int StateBytes => 8;
}

/// <summary>ryg_rans <c>rans_byte.h</c>: 32-bit state, byte-wise renormalisation.</summary>
internal readonly struct RansByteFormat : IRansFormat
{
    public static ulong Lower => 1ul << 23;
    public static int WordBits => 8;
    public static int StateBytes => 4;
}
