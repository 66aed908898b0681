using System.Buffers;

namespace SplitNet.Codec.Entropy;

/// <summary>
/// The compact latent stream: rANS with a 32-bit state renormalised a byte at a time (ryg_rans
/// <c>rans_byte.h</c>, L = 2^23) and the same tables, symbol order and escapes as
/// <see cref="Rans64"/>. Its fixed cost is the 4-byte final state. Not CompressAI-compatible.
/// </summary>
public static class RansByte
{
    /// <summary>Encodes <paramref name="symbols"/> and appends the stream to <paramref name="output"/>; returns its length in bytes.</summary>
    public static int Encode(ReadOnlySpan<int> symbols, int elementsPerIndex, CdfTable table, IBufferWriter<byte> output) =>
        RansCoder<RansByteFormat>.Encode(symbols, elementsPerIndex, table, output);

    /// <summary>Decodes exactly <c>symbols.Length</c> symbols; false, with a reason, for a corrupt, truncated or padded stream.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> stream, int elementsPerIndex, CdfTable table, Span<int> symbols, out string? error) =>
        RansCoder<RansByteFormat>.TryDecode(stream, elementsPerIndex, table, symbols, out error);
}
