namespace SplitNet.Codec.Entropy;

/// <summary>Which rANS stream format carries a latent; chosen per model.</summary>
public enum LatentStream : byte
{
    /// <summary>64-bit state, 32-bit words: byte-identical to CompressAI (8-byte flush).</summary>
    CompressAI = 0,

    /// <summary>32-bit state, byte renormalisation: 4-byte fixed cost, for tiny payloads.</summary>
    Compact = 1,
}

/// <summary>Encodes and decodes a latent in the chosen <see cref="LatentStream"/> format.</summary>
public static class LatentCoder
{
    public static int Encode(LatentStream format, ReadOnlySpan<int> symbols, int elementsPerIndex, CdfTable table, System.Buffers.IBufferWriter<byte> output) =>
        format switch
        {
            LatentStream.CompressAI => Rans64.Encode(symbols, elementsPerIndex, table, output),
            LatentStream.Compact => RansByte.Encode(symbols, elementsPerIndex, table, output),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown latent stream."),
        };

    /// <summary>
    /// Codes one stream whose prefixes decode the first <c>segments[k]</c> symbols; their lengths go
    /// to <paramref name="ends"/>. The whole stream is the one <see cref="Encode"/> writes; with
    /// <paramref name="only"/> ≥ 0, only segment <paramref name="only"/>'s prefix is written.
    /// </summary>
    public static int EncodeSegmented(LatentStream format, ReadOnlySpan<int> symbols, int elementsPerIndex, CdfTable table, System.Buffers.IBufferWriter<byte> output,
        ReadOnlySpan<int> segments, Span<int> ends, int only = -1) =>
        format switch
        {
            LatentStream.CompressAI => RansCoder<Rans64Format>.Encode(symbols, elementsPerIndex, table, output, segments, ends, only),
            LatentStream.Compact => RansCoder<RansByteFormat>.Encode(symbols, elementsPerIndex, table, output, segments, ends, only),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown latent stream."),
        };

    /// <summary>Decodes the first <c>symbols.Length</c> symbols from a prefix that <see cref="EncodeSegmented"/> marked.</summary>
    public static bool TryDecodePrefix(LatentStream format, ReadOnlySpan<byte> prefix, int elementsPerIndex, CdfTable table, Span<int> symbols, out string? error)
    {
        switch (format)
        {
            case LatentStream.CompressAI:
                return RansCoder<Rans64Format>.TryDecode(prefix, elementsPerIndex, table, symbols, out error, prefix: true);
            case LatentStream.Compact:
                return RansCoder<RansByteFormat>.TryDecode(prefix, elementsPerIndex, table, symbols, out error, prefix: true);
            default:
                error = $"unknown latent stream {format}";
                return false;
        }
    }

    public static bool TryDecode(LatentStream format, ReadOnlySpan<byte> stream, int elementsPerIndex, CdfTable table, Span<int> symbols, out string? error)
    {
        switch (format)
        {
            case LatentStream.CompressAI:
                return Rans64.TryDecode(stream, elementsPerIndex, table, symbols, out error);
            case LatentStream.Compact:
                return RansByte.TryDecode(stream, elementsPerIndex, table, symbols, out error);
            default:
                error = $"unknown latent stream {format}";
                return false;
        }
    }
}
