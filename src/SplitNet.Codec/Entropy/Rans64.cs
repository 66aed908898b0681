using System.Buffers;
using System.Buffers.Binary;

namespace SplitNet.Codec.Entropy;

/// <summary>
/// The 64-bit-state rANS coder with 32-bit words (ryg_rans <c>rans64.h</c>) and CompressAI's
/// 4-bit bypass escape coding. For the same symbols and tables, <see cref="Encode"/> writes the
/// bytes CompressAI's <c>RansEncoder.encode_with_indexes</c> writes; the layout is documented
/// in the codec README.
/// </summary>
/// <remarks>
/// Symbol i uses table <c>i / elementsPerIndex</c>: a factorized prior over a (C, H, W) latent
/// passes H·W, so each channel uses its own CDF, in CompressAI's element order.
/// </remarks>
public static class Rans64
{
    private const ulong L = 1ul << 31;
    private const int BypassBits = 4;
    private const int MaxBypass = (1 << BypassBits) - 1;
    // A 32-bit raw escape value needs at most 8 nibbles.
    private const int MaxNibbles = 8;

    /// <summary>Encodes <paramref name="symbols"/> and appends the stream to <paramref name="output"/>; returns its length in bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A symbol is so far from its table that its escape does not fit 32 bits.</exception>
    public static int Encode(ReadOnlySpan<int> symbols, int elementsPerIndex, CdfTable table, IBufferWriter<byte> output)
    {
        EntropyCoding.CheckTables(symbols.Length, elementsPerIndex, table);
        // Words are produced last-first; fill a pooled buffer from its end.
        var words = ArrayPool<uint>.Shared.Rent(Math.Max(64, symbols.Length / 2 + 16));
        int at = words.Length;
        ulong x = L;
        try
        {
            // rANS is LIFO: encode the last symbol first so the decoder reads in natural order.
            for (int i = symbols.Length - 1; i >= 0; i--)
            {
                int index = i / elementsPerIndex;
                var cdf = table.CdfArray(index);
                int max = cdf.Length - 2;
                var value = EntropyCoding.Split(symbols[i], table.Offset(index), max, i, out var raw, out var nibbles);
                if (value == max)
                {
                    // Forward order is: symbol, count as 15s then a remainder, nibbles LSB first.
                    for (int j = nibbles - 1; j >= 0; j--)
                    {
                        PutBits(ref x, ref words, ref at, (uint)(raw >> (BypassBits * j)) & MaxBypass);
                    }
                    PutBits(ref x, ref words, ref at, (uint)(nibbles % MaxBypass));
                    for (int run = nibbles / MaxBypass; run > 0; run--)
                    {
                        PutBits(ref x, ref words, ref at, MaxBypass);
                    }
                }
                Put(ref x, ref words, ref at, (uint)cdf[value], (uint)(cdf[value + 1] - cdf[value]));
            }
            int count = words.Length - at;
            int bytes = 8 + 4 * count;
            var span = output.GetSpan(bytes);
            BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)x);
            BinaryPrimitives.WriteUInt32LittleEndian(span[4..], (uint)(x >> 32));
            for (int k = 0; k < count; k++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(span[(8 + 4 * k)..], words[at + k]);
            }
            output.Advance(bytes);
            return bytes;
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(words);
        }
    }

    /// <summary>
    /// Decodes exactly <c>symbols.Length</c> symbols. Returns false, with a reason, for a stream
    /// that is truncated, has trailing words or does not end in the coder's initial state; never
    /// reads outside <paramref name="stream"/>.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> stream, int elementsPerIndex, CdfTable table, Span<int> symbols, out string? error)
    {
        if (!EntropyCoding.TablesCover(symbols.Length, elementsPerIndex, table, out error))
        {
            return false;
        }
        if (stream.Length < 8 || stream.Length % 4 != 0)
        {
            error = $"a rANS stream is a multiple of 4 bytes and at least 8, not {stream.Length}";
            return false;
        }
        ulong x = BinaryPrimitives.ReadUInt32LittleEndian(stream) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(stream[4..]) << 32);
        int at = 8;
        for (int i = 0; i < symbols.Length; i++)
        {
            int index = i / elementsPerIndex;
            var cdf = table.CdfArray(index);
            int max = cdf.Length - 2;
            int s = table.Lookup(index)[(int)(x & (QuantizedCdf.Total - 1))];
            x = (ulong)(cdf[s + 1] - cdf[s]) * (x >> QuantizedCdf.Precision) + (x & (QuantizedCdf.Total - 1)) - (ulong)cdf[s];
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

    private static void Put(ref ulong x, ref uint[] words, ref int at, uint start, uint frequency)
    {
        if (x >= ((L >> QuantizedCdf.Precision) << 32) * frequency)
        {
            Emit(ref words, ref at, (uint)x);
            x >>= 32;
        }
        x = ((x / frequency) << QuantizedCdf.Precision) + (x % frequency) + start;
    }

    private static void PutBits(ref ulong x, ref uint[] words, ref int at, uint value)
    {
        if (x >= (L >> BypassBits) << 32)
        {
            Emit(ref words, ref at, (uint)x);
            x >>= 32;
        }
        x = (x << BypassBits) | value;
    }

    private static void Emit(ref uint[] words, ref int at, uint word)
    {
        if (at == 0)
        {
            var larger = ArrayPool<uint>.Shared.Rent(words.Length * 2);
            words.CopyTo(larger, larger.Length - words.Length);
            at = larger.Length - words.Length;
            ArrayPool<uint>.Shared.Return(words);
            words = larger;
        }
        words[--at] = word;
    }

    private static bool TryGetBits(ref ulong x, ReadOnlySpan<byte> stream, ref int at, out uint value)
    {
        value = (uint)x & MaxBypass;
        x >>= BypassBits;
        return Refill(ref x, stream, ref at);
    }

    private static bool Refill(ref ulong x, ReadOnlySpan<byte> stream, ref int at)
    {
        if (x >= L)
        {
            return true;
        }
        if (at + 4 > stream.Length)
        {
            return false;
        }
        x = (x << 32) | BinaryPrimitives.ReadUInt32LittleEndian(stream[at..]);
        at += 4;
        return true;
    }
}
