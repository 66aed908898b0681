using System.Buffers;
using System.Buffers.Binary;

namespace SplitNet.Codec.Entropy;

/// <summary>
/// rANS over <see cref="CdfTable"/>s with CompressAI's 4-bit bypass escape coding, for one stream
/// format. Symbol i uses table <c>i / elementsPerIndex</c> (a factorized prior over a (C, H, W)
/// latent passes H·W). Layout: the final state (little-endian, <c>StateBytes</c>), then the
/// words (little-endian) in the order the decoder reads them.
/// </summary>
internal static class RansCoder<TFormat> where TFormat : struct, IRansFormat
{
    private const int BypassBits = 4;
    private const int MaxBypass = (1 << BypassBits) - 1;
    // A 32-bit raw escape value needs at most 8 nibbles.
    private const int MaxNibbles = 8;

    private static int WordBytes => TFormat.WordBits / 8;

    /// <summary>
    /// Codes <paramref name="symbols"/> into one stream. With <paramref name="segments"/> (ascending
    /// symbol counts, the last all of them), <paramref name="ends"/>[k] receives the length of the
    /// stream's prefix that decodes the first <c>segments[k]</c> symbols (<see cref="TryDecode"/>
    /// with <c>prefix</c>): the decoder of symbol i reads exactly the words coding symbol i wrote,
    /// and rANS writes them last-first, so the words of the first symbols come first. With
    /// <paramref name="only"/> ≥ 0, just that segment's prefix goes to <paramref name="output"/>.
    /// </summary>
    public static int Encode(ReadOnlySpan<int> symbols, int elementsPerIndex, CdfTable table, IBufferWriter<byte> output,
        ReadOnlySpan<int> segments = default, Span<int> ends = default, int only = -1)
    {
        if (only >= segments.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(only), only, $"There are {segments.Length} segments.");
        }
        if (!TablesCover(symbols.Length, elementsPerIndex, table, out var error) || !SegmentsCover(symbols.Length, segments, ends, out error))
        {
            throw new ArgumentException(error);
        }
        int segment = segments.Length - 1;
        // Words come out last-first: fill a pooled buffer from its end.
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(256, symbols.Length * 2 + 16));
        int at = buffer.Length;
        ulong x = TFormat.Lower;
        try
        {
            // rANS is LIFO: code the last symbol first so the decoder reads in natural order.
            int last = (symbols.Length + elementsPerIndex - 1) / elementsPerIndex - 1;
            for (int index = last; index >= 0; index--)
            {
                var cdf = table.CdfArray(index);
                int max = cdf.Length - 2;
                int offset = table.Offset(index);
                int start = index * elementsPerIndex;
                for (int i = Math.Min(symbols.Length, start + elementsPerIndex) - 1; i >= start; i--)
                {
                    // Words written from here on code symbols [0, i]: mark where each segment's last symbol begins.
                    while (segment >= 0 && segments[segment] == i + 1)
                    {
                        ends[segment--] = buffer.Length - at;
                    }
                    long value = (long)symbols[i] - offset;
                    if (value < 0 || value >= max)
                    {
                        PutEscape(ref x, ref buffer, ref at, value < 0 ? -2 * value - 1 : 2 * (value - max), i);
                        value = max;
                    }
                    Put(ref x, ref buffer, ref at, (ulong)cdf[value], (ulong)(cdf[value + 1] - cdf[value]), QuantizedCdf.Precision);
                }
            }
            int count = buffer.Length - at;
            for (int k = 0; k < segments.Length; k++)
            {
                ends[k] = TFormat.StateBytes + count - ends[k];
            }
            int length = only >= 0 ? ends[only] : TFormat.StateBytes + count;
            var span = output.GetSpan(length);
            for (int b = 0; b < TFormat.StateBytes; b++)
            {
                span[b] = (byte)(x >> (8 * b));
            }
            buffer.AsSpan(at, length - TFormat.StateBytes).CopyTo(span[TFormat.StateBytes..]);
            output.Advance(length);
            return length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Decodes exactly <c>symbols.Length</c> symbols. A <paramref name="prefix"/> of a longer stream
    /// (one of the encoder's segment ends) decodes its first symbols: it must be used up exactly,
    /// but its coder state cannot come back to the initial one, so only a whole stream checks that.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> stream, int elementsPerIndex, CdfTable table, Span<int> symbols, out string? error, bool prefix = false)
    {
        if (!TablesCover(symbols.Length, elementsPerIndex, table, out error))
        {
            return false;
        }
        if (stream.Length < TFormat.StateBytes || (stream.Length - TFormat.StateBytes) % WordBytes != 0)
        {
            error = $"a stream is a {TFormat.StateBytes}-byte state and whole {WordBytes}-byte words, not {stream.Length} bytes (not a multiple of {WordBytes})";
            return false;
        }
        ulong x = 0;
        for (int b = 0; b < TFormat.StateBytes; b++)
        {
            x |= (ulong)stream[b] << (8 * b);
        }
        int at = TFormat.StateBytes;
        const ulong mask = QuantizedCdf.Total - 1;
        // One table per run of elementsPerIndex symbols: fetch it once per run, not per symbol.
        for (int start = 0, index = 0; start < symbols.Length; start += elementsPerIndex, index++)
        {
            var cdf = table.CdfArray(index);
            var lookup = table.Lookup(index);
            int max = cdf.Length - 2;
            int offset = table.Offset(index);
            int end = Math.Min(symbols.Length, start + elementsPerIndex);
            for (int i = start; i < end; i++)
            {
                ulong cf = x & mask;
                int s = lookup[cf >> (QuantizedCdf.Precision - CdfTable.LookupBits)];
                while ((ulong)cdf[s + 1] <= cf)
                {
                    s++;
                }
                x = (ulong)(cdf[s + 1] - cdf[s]) * (x >> QuantizedCdf.Precision) + cf - (ulong)cdf[s];
                if (!Refill(ref x, stream, ref at))
                {
                    error = $"stream truncated at symbol {i}";
                    return false;
                }
                if (s != max)
                {
                    symbols[i] = s + offset;
                    continue;
                }
                if (!TryBypass(ref x, stream, ref at, out var nibbles) || nibbles >= MaxBypass || nibbles > MaxNibbles)
                {
                    error = $"bad escape length at symbol {i}";
                    return false;
                }
                ulong raw = 0;
                for (int j = 0; j < (int)nibbles; j++)
                {
                    if (!TryBypass(ref x, stream, ref at, out var nibble))
                    {
                        error = $"stream truncated in the escape of symbol {i}";
                        return false;
                    }
                    raw |= nibble << (BypassBits * j);
                }
                long half = (long)(raw >> 1);
                long symbol = ((raw & 1) != 0 ? -half - 1 : half + max) + offset;
                if (symbol is < int.MinValue or > int.MaxValue)
                {
                    error = $"symbol {i} overflows 32 bits";
                    return false;
                }
                symbols[i] = (int)symbol;
            }
        }
        error = x != TFormat.Lower && !prefix ? "final coder state is not the initial state: corrupt stream"
            : at != stream.Length ? $"{stream.Length - at} trailing bytes after the last symbol"
            : null;
        return error is null;
    }

    private static bool SegmentsCover(int symbols, ReadOnlySpan<int> segments, Span<int> ends, out string? error)
    {
        error = segments.Length != ends.Length ? $"{segments.Length} segments but room for {ends.Length} ends"
            : segments.Length > 0 && segments[^1] != symbols ? $"the last segment ends at symbol {segments[^1]}, not at the stream's {symbols}"
            : segments.Length > 0 && (segments[0] < 1 || !IsAscending(segments)) ? "segments are ascending symbol counts from 1"
            : null;
        return error is null;
    }

    private static bool IsAscending(ReadOnlySpan<int> values)
    {
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] <= values[i - 1])
            {
                return false;
            }
        }
        return true;
    }

    private static bool TablesCover(int symbols, int elementsPerIndex, CdfTable table, out string? error)
    {
        error = elementsPerIndex <= 0 || (symbols + (long)elementsPerIndex - 1) / elementsPerIndex > table.Count
            ? $"{symbols} symbols at {elementsPerIndex} per table need more than the {table.Count} tables"
            : null;
        return error is null;
    }

    // The bypass part of an escape, in reverse of its forward order: the nibble count as 15s then
    // a remainder below 15, then the nibbles of raw, least significant first.
    private static void PutEscape(ref ulong x, ref byte[] buffer, ref int at, long raw, int position)
    {
        if (raw > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException("symbols", $"Symbol at {position} is too far from its table to escape.");
        }
        int nibbles = 0;
        while ((raw >> (BypassBits * nibbles)) != 0)
        {
            nibbles++;
        }
        for (int j = nibbles - 1; j >= 0; j--)
        {
            Put(ref x, ref buffer, ref at, (ulong)(raw >> (BypassBits * j)) & MaxBypass, 1, BypassBits);
        }
        Put(ref x, ref buffer, ref at, (ulong)(nibbles % MaxBypass), 1, BypassBits);
        for (int run = nibbles / MaxBypass; run > 0; run--)
        {
            Put(ref x, ref buffer, ref at, MaxBypass, 1, BypassBits);
        }
    }

    // x ← ⌊x/f⌋·2^bits + (x mod f) + start, after moving out whole words while x would overflow.
    private static void Put(ref ulong x, ref byte[] buffer, ref int at, ulong start, ulong frequency, int bits)
    {
        ulong limit = ((TFormat.Lower >> bits) << TFormat.WordBits) * frequency;
        while (x >= limit)
        {
            if (at < WordBytes)
            {
                Grow(ref buffer, ref at);
            }
            at -= WordBytes;
            for (int b = 0; b < WordBytes; b++)
            {
                buffer[at + b] = (byte)(x >> (8 * b));
            }
            x >>= TFormat.WordBits;
        }
        x = ((x / frequency) << bits) + (x % frequency) + start;
    }

    private static void Grow(ref byte[] buffer, ref int at)
    {
        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
        int used = buffer.Length - at;
        buffer.AsSpan(at, used).CopyTo(larger.AsSpan(larger.Length - used));
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = larger;
        at = larger.Length - used;
    }

    private static bool TryBypass(ref ulong x, ReadOnlySpan<byte> stream, ref int at, out ulong value)
    {
        value = x & MaxBypass;
        x >>= BypassBits;
        return Refill(ref x, stream, ref at);
    }

    private static bool Refill(ref ulong x, ReadOnlySpan<byte> stream, ref int at)
    {
        while (x < TFormat.Lower)
        {
            if (at + WordBytes > stream.Length)
            {
                return false;
            }
            ulong word = WordBytes == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(stream[at..]) : stream[at];
            x = (x << TFormat.WordBits) | word;
            at += WordBytes;
        }
        return true;
    }
}
