using System.Buffers;
using SplitNet.Codec.Entropy;

namespace SplitNet.Codec.Tests.Entropy;

/// <summary>
/// Embedded latent streams: one stream per frame whose prefixes, cut at the segment ends the
/// encoder reports, decode the first channels; the whole stream is the plain one, byte for byte.
/// </summary>
public sealed class SegmentedStreamTests
{
    private static readonly int[] Rungs = [1, 2, 3, 5, 8];
    private const int PerChannel = 49;

    private static (EntropyModel Model, int[] Symbols) Frame(LatentStream format, int seed)
    {
        var random = new Random(seed);
        var table = LatentStreamContractTests.LaplaceTable(8, random);
        var medians = Enumerable.Range(0, 8).Select(c => 0.5f * c - 2).ToArray();
        return (new EntropyModel(table, medians, format), LatentStreamContractTests.Symbols(table, PerChannel, random, escapeRate: 0.03));
    }

    private static (byte[] Stream, int[] Ends) Encode(EntropyModel model, int[] symbols)
    {
        var output = new ArrayBufferWriter<byte>();
        var ends = new int[Rungs.Length];
        int written = model.CompressSegmented(symbols, Rungs, output, ends);
        Assert.Equal(output.WrittenCount, written);
        return (output.WrittenSpan.ToArray(), ends);
    }

    [Theory]
    [InlineData(LatentStream.Compact)]
    [InlineData(LatentStream.CompressAI)]
    public void EveryPrefixAtASegmentEnd_DecodesItsChannels_AndTheWholeStreamIsThePlainOne(LatentStream format)
    {
        for (int seed = 0; seed < 40; seed++)
        {
            var (model, symbols) = Frame(format, seed);
            var (stream, ends) = Encode(model, symbols);

            Assert.Equal(model.Compress(symbols), stream);
            Assert.Equal(stream.Length, ends[^1]);
            Assert.True(ends.Zip(ends.Skip(1)).All(p => p.First <= p.Second), string.Join(",", ends));
            for (int k = 0; k < Rungs.Length; k++)
            {
                var yHat = Enumerable.Repeat(float.NaN, 8 * PerChannel).ToArray();
                Assert.True(model.TryDecompressPrefix(stream.AsSpan(0, ends[k]), Rungs[k], yHat, out var error), $"seed {seed}, rung {Rungs[k]}: {error}");
                int sent = Rungs[k] * PerChannel;
                Assert.Equal(symbols.Take(sent).Select((s, i) => s + model.Medians[i / PerChannel]), yHat.Take(sent));
                Assert.All(yHat.Skip(sent), v => Assert.Equal(0f, v));
            }
        }
    }

    [Theory]
    [InlineData(LatentStream.Compact)]
    [InlineData(LatentStream.CompressAI)]
    public void APrefixCutAnywhereElse_IsAnErrorValue(LatentStream format)
    {
        var (model, symbols) = Frame(format, 7);
        var (stream, ends) = Encode(model, symbols);
        var yHat = new float[8 * PerChannel];
        for (int k = 0; k < Rungs.Length; k++)
        {
            for (int length = 0; length <= stream.Length; length++)
            {
                bool decoded = model.TryDecompressPrefix(stream.AsSpan(0, length), Rungs[k], yHat, out var error);
                Assert.Equal(length == ends[k], decoded);
                Assert.True(decoded || error is not null);
            }
        }
    }

    [Fact]
    public void FlippedBitsInAPrefix_NeverThrow()
    {
        var (model, symbols) = Frame(LatentStream.Compact, 3);
        var (stream, ends) = Encode(model, symbols);
        var prefix = stream.AsSpan(0, ends[1]).ToArray();
        var yHat = new float[8 * PerChannel];
        for (int bit = 0; bit < prefix.Length * 8; bit++)
        {
            var flipped = (byte[])prefix.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            _ = model.TryDecompressPrefix(flipped, Rungs[1], yHat, out _);
        }
        Assert.False(model.TryDecompressPrefix(prefix, 9, yHat, out var error));
        Assert.Contains("not a prefix", error);
    }

    [Theory]
    [InlineData(new[] { 2, 1, 8 })]
    [InlineData(new[] { 1, 4 })]
    [InlineData(new[] { 0, 8 })]
    public void Segments_NotAscendingToTheWholeLatent_Throw(int[] rungs)
    {
        var (model, symbols) = Frame(LatentStream.Compact, 1);
        Assert.Throws<ArgumentException>(() => model.CompressSegmented(symbols, rungs, new ArrayBufferWriter<byte>(), new int[rungs.Length]));
    }
}
