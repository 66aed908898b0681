using System.Buffers;
using SplitNet.Codec.Entropy;

namespace SplitNet.Codec.Tests.Entropy;

/// <summary>
/// Fixed inputs and the exact bytes they must code to. The small vectors are worked by hand from
/// ryg_rans' rans64 (the coder CompressAI wraps); the large one is a recorded file, so any change
/// of format shows up here. Regenerate it only on purpose: SPLITNET_UPDATE_GOLDEN=1 dotnet test.
/// </summary>
public sealed class GoldenStreamTests
{
    // pmf ½, ¼ and an escape bin of ¼: cdf 0, 32768, 49152, 65536 (max = 2, the escape index).
    private static readonly CdfTable Halves = new([QuantizedCdf.FromPmf([0.5f, 0.25f, 0.25f])], [0]);

    private static byte[] Encode(LatentStream format, int[] symbols, int perIndex, CdfTable table)
    {
        var buffer = new ArrayBufferWriter<byte>();
        LatentCoder.Encode(format, symbols, perIndex, table, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void Rans64_ThreeSymbols_MatchTheHandWorkedStream()
    {
        // Reverse order from x = 2^31: s=0 (start 0, f 2^15) → 2^32; s=1 (start 2^15, f 2^14)
        // → 2^34 + 2^15; s=0 → 2^35 + 2^16. No word leaves the state; flush low then high word.
        var stream = Encode(LatentStream.CompressAI, [0, 1, 0], 3, Halves);
        Assert.Equal([0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x00, 0x00], stream);
    }

    [Fact]
    public void Rans64_EscapedSymbol_MatchesTheHandWorkedStream()
    {
        // Symbol 3: v = 3 ≥ max = 2, raw = 2·(3−2) = 2, one nibble. Forward ops: escape bin
        // (start 2^15+2^14, f 2^14), count 1, nibble 2. Reverse from 2^31: nibble → 2^35 + 2;
        // count → 2^39 + 2^5 + 1; escape → (2^25 + 0)·2^16 + (2^5 + 1) + 49152 = 2^41 + 49185.
        var stream = Encode(LatentStream.CompressAI, [3], 1, Halves);
        Assert.Equal([0x21, 0xC0, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00], stream);
        var decoded = new int[1];
        Assert.True(Rans64.TryDecode(stream, 1, Halves, decoded, out _));
        Assert.Equal(3, decoded[0]);
    }

    [Theory]
    [InlineData(LatentStream.CompressAI, "rans64-laplace.bin")]
    [InlineData(LatentStream.Compact, "compact-laplace.bin")]
    public void Encode_RecordedLaplaceLatent_IsByteIdentical(LatentStream format, string file)
    {
        var random = new Random(2024);
        var table = LatentStreamContractTests.LaplaceTable(8, random);
        var symbols = LatentStreamContractTests.Symbols(table, 49, random, escapeRate: 0.02);
        var stream = Encode(format, symbols, 49, table);
        var path = Path.Combine(AppContext.BaseDirectory, "golden", file);
        if (Environment.GetEnvironmentVariable("SPLITNET_UPDATE_GOLDEN") == "1")
        {
            var source = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../golden", file));
            Directory.CreateDirectory(Path.GetDirectoryName(source)!);
            File.WriteAllBytes(source, stream);
            return;
        }
        Assert.Equal(File.ReadAllBytes(path), stream);
    }
}
