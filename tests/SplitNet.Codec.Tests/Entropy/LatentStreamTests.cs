using System.Buffers;
using SplitNet.Codec.Entropy;

namespace SplitNet.Codec.Tests.Entropy;

/// <summary>The behaviour every latent stream format must have; run once per format.</summary>
public abstract class LatentStreamContractTests
{
    protected abstract LatentStream Format { get; }

    /// <summary>Bytes the format may add to the information content.</summary>
    protected abstract int MaxFixedCost { get; }

    /// <summary>A table of <paramref name="channels"/> discretised Laplace densities with an escape bin.</summary>
    internal static CdfTable LaplaceTable(int channels, Random random)
    {
        var cdfs = new List<int[]>();
        var offsets = new List<int>();
        for (int c = 0; c < channels; c++)
        {
            int half = random.Next(0, 12);
            double b = 0.2 + random.NextDouble() * 3;
            var pmf = new float[2 * half + 2];
            for (int k = -half; k <= half; k++)
            {
                pmf[k + half] = (float)(Math.Exp(-Math.Abs(k) / b) * (1 - Math.Exp(-1 / b)) / (1 + Math.Exp(-1 / b)));
            }
            pmf[^1] = 1e-4f;
            cdfs.Add(QuantizedCdf.FromPmf(pmf));
            offsets.Add(-half + random.Next(-2, 3));
        }
        return new CdfTable(cdfs, offsets);
    }

    internal static int[] Symbols(CdfTable table, int perChannel, Random random, double escapeRate)
    {
        var symbols = new int[table.Count * perChannel];
        for (int i = 0; i < symbols.Length; i++)
        {
            int c = i / perChannel;
            int length = table.Cdf(c).Length - 2;
            symbols[i] = random.NextDouble() < escapeRate
                ? (random.Next(2) == 0 ? -1 : 1) * random.Next(0, 1 << random.Next(1, 30)) + table.Offset(c)
                : table.Offset(c) + random.Next(length);
        }
        return symbols;
    }

    private byte[] Encode(int[] symbols, int perChannel, CdfTable table)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var written = LatentCoder.Encode(Format, symbols, perChannel, table, buffer);
        Assert.Equal(buffer.WrittenCount, written);
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void Decode_RandomTablesAndSymbols_RoundTrip()
    {
        var random = new Random(1);
        for (int trial = 0; trial < 200; trial++)
        {
            var table = LaplaceTable(random.Next(1, 10), random);
            int perChannel = random.Next(1, 60);
            var symbols = Symbols(table, perChannel, random, escapeRate: trial % 3 == 0 ? 0.1 : 0.0);
            var stream = Encode(symbols, perChannel, table);

            var decoded = new int[symbols.Length];
            Assert.True(LatentCoder.TryDecode(Format, stream, perChannel, table, decoded, out var error), error);
            Assert.Equal(symbols, decoded);
        }
    }

    [Theory]
    [InlineData(int.MaxValue / 2)]
    [InlineData(-(int.MaxValue / 2))]
    [InlineData(100_000)]
    [InlineData(-100_000)]
    [InlineData(15)]
    [InlineData(-1)]
    public void Decode_FarEscapes_RoundTrip(int distance)
    {
        var table = new CdfTable([QuantizedCdf.FromPmf([0.3f, 0.4f, 0.29f, 0.01f])], [-1]);
        int[] symbols = [0, distance, -1, 1, distance, 0];
        var stream = Encode(symbols, symbols.Length, table);

        var decoded = new int[symbols.Length];
        Assert.True(LatentCoder.TryDecode(Format, stream, symbols.Length, table, decoded, out var error), error);
        Assert.Equal(symbols, decoded);
    }

    [Fact]
    public void Encode_ProbableSymbols_CostCloseToTheirInformation()
    {
        var random = new Random(3);
        var table = LaplaceTable(8, random);
        var symbols = Symbols(table, 500, random, escapeRate: 0);
        var ideal = symbols.Select((s, i) => table.InformationBits(s, i / 500)).Sum() / 8;

        var stream = Encode(symbols, 500, table);

        Assert.InRange(stream.Length, ideal, ideal * 1.005 + MaxFixedCost);
    }

    [Fact]
    public void TryDecode_TruncatedStream_FailsWithAReason()
    {
        var random = new Random(5);
        var table = LaplaceTable(4, random);
        var symbols = Symbols(table, 100, random, 0.05);
        var stream = Encode(symbols, 100, table);

        for (int cut = 1; cut <= 12; cut += 3)
        {
            Assert.False(LatentCoder.TryDecode(Format, stream.AsSpan(0, stream.Length - cut), 100, table, new int[symbols.Length], out var error));
            Assert.NotNull(error);
        }
    }

    [Fact]
    public void TryDecode_TrailingWord_IsRejected()
    {
        var random = new Random(6);
        var table = LaplaceTable(2, random);
        var symbols = Symbols(table, 50, random, 0);
        var stream = Encode(symbols, 50, table).Concat(new byte[] { 1, 2, 3, 4 }).ToArray();

        Assert.False(LatentCoder.TryDecode(Format, stream, 50, table, new int[symbols.Length], out var error));
        Assert.Contains("trailing", error);
    }

    [Fact]
    public void TryDecode_FlippedStateBit_IsRejected()
    {
        var random = new Random(7);
        var table = LaplaceTable(2, random);
        var symbols = Symbols(table, 50, random, 0);
        var stream = Encode(symbols, 50, table);
        stream[5] ^= 0x10;

        Assert.False(LatentCoder.TryDecode(Format, stream, 50, table, new int[symbols.Length], out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void TryDecode_TooShort_IsRejected(int length) =>
        Assert.False(LatentCoder.TryDecode(Format, new byte[length], 1, new CdfTable([QuantizedCdf.FromPmf([0.5f, 0.5f])], [0]), new int[1], out _));

    [Fact]
    public void TryDecode_100kRandomAndMutatedStreams_NeverThrowOrOverrun()
    {
        var random = new Random(8);
        var table = LaplaceTable(6, random);
        var symbols = Symbols(table, 40, random, 0.05);
        var valid = Encode(symbols, 40, table);
        var decoded = new int[symbols.Length];
        int accepted = 0;
        for (int trial = 0; trial < 100_000; trial++)
        {
            byte[] stream;
            if (trial % 2 == 0)
            {
                stream = new byte[random.Next(0, 2 * valid.Length)];
                random.NextBytes(stream);
            }
            else
            {
                stream = (byte[])valid.Clone();
                for (int f = random.Next(1, 4); f > 0; f--)
                {
                    stream[random.Next(stream.Length)] ^= (byte)(1 << random.Next(8));
                }
            }
            if (LatentCoder.TryDecode(Format, stream, 40, table, decoded, out var error))
            {
                // A flipped bypass (escape) bit changes a value without touching the state, so
                // mutated streams may decode; random ones must almost never end in state L.
                accepted += trial % 2 == 0 ? 1 : 0;
            }
            else
            {
                Assert.NotNull(error);
            }
        }
        Assert.True(accepted < 50, $"{accepted} of 50000 random streams decoded cleanly");
    }
}

public sealed class Rans64Tests : LatentStreamContractTests
{
    protected override LatentStream Format => LatentStream.CompressAI;
    protected override int MaxFixedCost => 16;

    [Fact]
    public void Encode_NoSymbols_IsTheFlushedInitialState()
    {
        var table = new CdfTable([QuantizedCdf.FromPmf([0.5f, 0.5f])], [0]);
        var buffer = new ArrayBufferWriter<byte>();
        Rans64.Encode([], 1, table, buffer);
        Assert.Equal([0, 0, 0, 0x80, 0, 0, 0, 0], buffer.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData(7)]
    [InlineData(10)]
    public void TryDecode_NotWholeWords_IsRejected(int length)
    {
        Assert.False(Rans64.TryDecode(new byte[length], 1, new CdfTable([QuantizedCdf.FromPmf([0.5f, 0.5f])], [0]), new int[1], out var error));
        Assert.Contains("multiple of 4", error);
    }
}

public sealed class CompactStreamTests : LatentStreamContractTests
{
    protected override LatentStream Format => LatentStream.Compact;
    protected override int MaxFixedCost => 4;

    [Fact]
    public void Encode_NoSymbols_IsTheFourByteInitialState()
    {
        var table = new CdfTable([QuantizedCdf.FromPmf([0.5f, 0.5f])], [0]);
        var buffer = new ArrayBufferWriter<byte>();
        RansByte.Encode([], 1, table, buffer);
        Assert.Equal([0, 0, 0x80, 0], buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Encode_TinyPayloads_AreSmallerThanTheCompressAIStream()
    {
        var random = new Random(12);
        var table = LaplaceTable(4, random);
        double saved = 0;
        for (int trial = 0; trial < 50; trial++)
        {
            var symbols = Symbols(table, 3, random, 0);
            var compact = new ArrayBufferWriter<byte>();
            var compatible = new ArrayBufferWriter<byte>();
            RansByte.Encode(symbols, 3, table, compact);
            Rans64.Encode(symbols, 3, table, compatible);
            Assert.True(compact.WrittenCount <= compatible.WrittenCount, $"{compact.WrittenCount} vs {compatible.WrittenCount}");
            saved += compatible.WrittenCount - compact.WrittenCount;
        }
        // The 64-bit state holds ~31 bits before its first word, so tiny payloads save 1-5 bytes.
        Assert.InRange(saved / 50, 2.0, 6.0);
    }
}
