using System.Buffers;
using System.Buffers.Binary;

namespace SplitNet.Codec.Entropy;

/// <summary>
/// The compact stream: rANS with a 32-bit state renormalised a byte at a time (ryg_rans
/// <c>rans_byte.h</c>, L = 2^23) and the same tables, symbol order and 4-bit bypass escapes as
/// <see cref="Rans64"/>. Its fixed cost is the 4-byte final state (against 8 bytes plus word
/// padding), which matters for payloads of a few dozen bytes. Not CompressAI-compatible.
/// </summary>
public static class RansByte
{
    private const uint L = 1u << 23;
    private const int BypassBits = 4;
    private const int MaxBypass = (1 << BypassBits) - 1;
    private const int MaxNibbles = 8;

    /// <summary>Encodes <paramref name="symbols"/> and appends the stream to <paramref name="output"/>; returns its length in bytes.</summary>
    public static int Encode(ReadOnlySpan<int> symbols, int elementsPerIndex, CdfTable table, IBufferWriter<byte> output)
    {
        EntropyCoding.CheckTables(symbols.Length, elementsPerIndex, table);
        var bytes = ArrayPool<byte>.Shared.Rent(Math.Max(256, symbols.Length * 2 + 16));
        int at = bytes.Length;
        uint x = L;
        try
        {
            for (int i = symbols.Length - 1; i >= 0; i--)
            {
                int index = i / elementsPerIndex;
                var cdf = table.CdfArray(index);
                int max = cdf.Length - 2;
                var value = EntropyCoding.Split(symbols[i], table.Offset(index), max, i, out var raw, out var nibbles);
                if (value == max)
                {
                    for (int j = nibbles - 1; j >= 0; j--)
                    {
                        PutBits(ref x, ref bytes, ref at, (uint)(raw >> (BypassBits * j)) & MaxBypass);
                    }
                    PutBits(ref x, ref bytes, ref at, (uint)(nibbles % MaxBypass));
                    for (int run = nibbles / MaxBypass; run > 0; run--)
                    {
                        PutBits(ref x, ref bytes, ref at, MaxBypass);
                    }
                }
                Put(ref x, ref bytes, ref at, (uint)cdf[value], (uint)(cdf[value + 1] - cdf[value]));
            }
            int count = bytes.Length - at;
            var span = output.GetSpan(4 + count);
            BinaryPrimitives.WriteUInt32LittleEndian(span, x);
            bytes.AsSpan(at, count).CopyTo(span[4..]);
            output.Advance(4 + count);
            return 4 + count;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Decodes exactly <c>symbols.Length</c> symbols; false, with a reason, for a corrupt, truncated or padded stream.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> stream, int elementsPerIndex, CdfTable table, Span<int> symbols, out string? error)
    {
        if (!EntropyCoding.TablesCover(symbols.Length, elementsPerIndex, table, out error))
        {
            return false;
        }
        if (stream.Length < 4)
        {
            error = $"a compact stream has at least 4 bytes, not {stream.Length}";
            return false;
        }
        uint x = BinaryPrimitives.ReadUInt32LittleEndian(stream);
        int at = 4;
        for (int i = 0; i < symbols.Length; i++)
        {
            int index = i / elementsPerIndex;
            var cdf = table.CdfArray(index);
            int max = cdf.Length - 2;
            uint cf = x & (QuantizedCdf.Total - 1);
            int s = table.Lookup(index)[cf];
            x = (uint)(cdf[s + 1] - cdf[s]) * (x >> QuantizedCdf.Precision) + cf - (uint)cdf[s];
            if (!Refill(ref x, stream, ref at))
            {
                error = $"stream truncated at symbol {i}";
                return false;
            }
            long value = s;
            if (s == max)
            {
                if (!TryGetBits(ref x, stream, ref at, out var nibbles) || nibbles >= MaxBypass || nibbles > MaxNibbles)
                {
                    error = $"bad escape length at symbol {i}";
                    return false;
                }
                ulong raw = 0;
                for (int j = 0; j < (int)nibbles; j++)
                {
                    if (!TryGetBits(ref x, stream, ref at, out var nibble))
                    {
                        error = $"stream truncated in the escape of symbol {i}";
                        return false;
                    }
                    raw |= (ulong)nibble << (BypassBits * j);
                }
                value = EntropyCoding.Unescape(raw, max);
            }
            if (!EntropyCoding.TryStore(value + table.Offset(index), symbols, i, out error))
            {
                return false;
            }
        }
        return EntropyCoding.Finished(x == L, stream.Length - at, out error);
    }

    private static void Put(ref uint x, ref byte[] bytes, ref int at, uint start, uint frequency)
    {
        uint xMax = ((L >> QuantizedCdf.Precision) << 8) * frequency;
        while (x >= xMax)
        {
            Emit(ref bytes, ref at, (byte)x);
            x >>= 8;
        }
        x = ((x / frequency) << QuantizedCdf.Precision) + (x % frequency) + start;
    }

    private static void PutBits(ref uint x, ref byte[] bytes, ref int at, uint value)
    {
        while (x >= (L >> BypassBits) << 8)
        {
            Emit(ref bytes, ref at, (byte)x);
            x >>= 8;
        }
        x = (x << BypassBits) | value;
    }

    private static void Emit(ref byte[] bytes, ref int at, byte value)
    {
        if (at == 0)
        {
            var larger = ArrayPool<byte>.Shared.Rent(bytes.Length * 2);
            bytes.CopyTo(larger, larger.Length - bytes.Length);
            at = larger.Length - bytes.Length;
            ArrayPool<byte>.Shared.Return(bytes);
            bytes = larger;
        }
        bytes[--at] = value;
    }

    private static bool TryGetBits(ref uint x, ReadOnlySpan<byte> stream, ref int at, out uint value)
    {
        value = x & MaxBypass;
        x >>= BypassBits;
        return Refill(ref x, stream, ref at);
    }

    private static bool Refill(ref uint x, ReadOnlySpan<byte> stream, ref int at)
    {
        while (x < L)
        {
            if (at >= stream.Length)
            {
                return false;
            }
            x = (x << 8) | stream[at++];
        }
        return true;
    }
}
