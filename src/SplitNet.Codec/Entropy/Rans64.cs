using System.Buffers;

namespace SplitNet.Codec.Entropy;

/// <summary>
/// The CompressAI-compatible latent stream: 64-bit-state rANS with 32-bit words (ryg_rans
/// <c>rans64.h</c>) and 4-bit bypass escapes. For the same symbols and tables it writes the bytes
/// of CompressAI's <c>RansEncoder.encode_with_indexes</c>; see the codec README for the layout.
/// </summary>
public static class Rans64
{
    /// <summary>Encodes <paramref name="symbols"/> and appends the stream to <paramref name="output"/>; returns its length in bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A symbol is so far from its table that its escape does not fit 32 bits.</exception>
    public static int Encode(ReadOnlySpan<int> symbols, int elementsPerIndex, CdfTable table, IBufferWriter<byte> output) =>
        RansCoder<Rans64Format>.Encode(symbols, elementsPerIndex, table, output);

    /// <summary>
    /// Decodes exactly <c>symbols.Length</c> symbols. Returns false, with a reason, for a stream
    /// that is truncated, has trailing words or does not end in the coder's initial state; never
    /// reads outside <paramref name="stream"/>.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> stream, int elementsPerIndex, CdfTable table, Span<int> symbols, out string? error) =>
        RansCoder<Rans64Format>.TryDecode(stream, elementsPerIndex, table, symbols, out error);
}
