using System.Buffers.Binary;
using System.Security.Cryptography;

namespace SplitNet.Codec.Entropy;

/// <summary>
/// Frozen integer CDFs, one per table index (per channel for a factorized prior), in
/// CompressAI's layout: <c>quantized_cdf</c>, <c>cdf_length</c> and <c>offset</c>. Each CDF's last
/// symbol is the escape bin. Immutable, so encoder and decoder threads can share it.
/// </summary>
public sealed class CdfTable
{
    private readonly int[][] _cdfs;
    private readonly int[] _offsets;
    // For each table and each of 2^LookupBits buckets of cumulative frequency, the symbol whose
    // interval holds the bucket's first value: decoding starts there and steps forward at most a
    // few symbols, instead of CompressAI's linear search from 0. 2 KB per table stays in cache.
    internal const int LookupBits = 10;
    private readonly ushort[][] _lookup;

    /// <summary>Builds a table from CDFs (each starting at 0 and ending at 2^16) and offsets.</summary>
    /// <exception cref="ArgumentException">A CDF is not strictly increasing from 0 to 2^16, or has fewer than 2 symbols.</exception>
    public CdfTable(IReadOnlyList<int[]> cdfs, IReadOnlyList<int> offsets)
    {
        if (cdfs.Count == 0 || cdfs.Count != offsets.Count)
        {
            throw new ArgumentException($"{cdfs.Count} CDFs and {offsets.Count} offsets: need the same non-zero number.");
        }
        _cdfs = new int[cdfs.Count][];
        _lookup = new ushort[cdfs.Count][];
        _offsets = [.. offsets];
        for (int c = 0; c < cdfs.Count; c++)
        {
            var cdf = cdfs[c];
            if (cdf.Length < 3 || cdf.Length > QuantizedCdf.Total || cdf[0] != 0 || cdf[^1] != QuantizedCdf.Total)
            {
                throw new ArgumentException($"CDF {c} must run from 0 to {QuantizedCdf.Total} over 3 to {QuantizedCdf.Total} entries.");
            }
            var lookup = new ushort[1 << LookupBits];
            for (int s = 0; s < cdf.Length - 1; s++)
            {
                if (cdf[s + 1] <= cdf[s])
                {
                    throw new ArgumentException($"CDF {c} is not strictly increasing at symbol {s}.");
                }
            }
            const int shift = QuantizedCdf.Precision - LookupBits;
            for (int bucket = 0, s = 0; bucket < lookup.Length; bucket++)
            {
                while (cdf[s + 1] <= bucket << shift)
                {
                    s++;
                }
                lookup[bucket] = (ushort)s;
            }
            _cdfs[c] = [.. cdf];
            _lookup[c] = lookup;
        }
        Hash = ComputeHash();
    }

    /// <summary>Number of CDFs (channels).</summary>
    public int Count => _cdfs.Length;

    /// <summary>SHA-256 of the table contents: equal hashes mean bit-identical coding.</summary>
    public string Hash { get; }

    /// <summary>The CDF of table <paramref name="index"/> (length <c>cdf_length</c>).</summary>
    public ReadOnlySpan<int> Cdf(int index) => _cdfs[index];

    /// <summary>The offset of table <paramref name="index"/>: symbol value of CDF entry 0.</summary>
    public int Offset(int index) => _offsets[index];

    internal int[] CdfArray(int index) => _cdfs[index];

    internal ushort[] Lookup(int index) => _lookup[index];

    /// <summary>−log₂ p of <paramref name="symbol"/> under table <paramref name="index"/> in bits, escape coding included.</summary>
    public double InformationBits(int symbol, int index)
    {
        var cdf = _cdfs[index];
        int max = cdf.Length - 2;
        long value = (long)symbol - _offsets[index];
        int nibbles = 0;
        if (value < 0 || value >= max)
        {
            long raw = value < 0 ? -2 * value - 1 : 2 * (value - max);
            while ((raw >> (4 * nibbles)) != 0)
            {
                nibbles++;
            }
            value = max;
        }
        double bits = QuantizedCdf.Precision - Math.Log2(cdf[value + 1] - cdf[value]);
        return value == max ? bits + 4 * (nibbles / 15 + 1) + 4 * nibbles : bits;
    }

    private string ComputeHash()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var word = new byte[4];
        void Add(int v)
        {
            BinaryPrimitives.WriteInt32LittleEndian(word, v);
            sha.AppendData(word);
        }
        Add(_cdfs.Length);
        for (int c = 0; c < _cdfs.Length; c++)
        {
            Add(_offsets[c]);
            Add(_cdfs[c].Length);
            foreach (var v in _cdfs[c])
            {
                Add(v);
            }
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
