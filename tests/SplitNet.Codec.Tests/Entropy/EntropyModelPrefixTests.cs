using SplitNet.Codec.Entropy;

namespace SplitNet.Codec.Tests.Entropy;

/// <summary>A variable-rate rung codes the first channels of a latent with those channels' tables.</summary>
public sealed class EntropyModelPrefixTests
{
    [Theory]
    [InlineData(LatentStream.Compact)]
    [InlineData(LatentStream.CompressAI)]
    public void Prefix_CodesTheFirstChannels_AsTheirTablesAndMediansSay(LatentStream format)
    {
        var random = new Random(4);
        var table = LatentStreamContractTests.LaplaceTable(8, random);
        var medians = Enumerable.Range(0, 8).Select(c => c * 0.25f - 1).ToArray();
        var model = new EntropyModel(table, medians, format);
        var symbols = LatentStreamContractTests.Symbols(table, 49, random, escapeRate: 0.02);

        foreach (int n in new[] { 1, 3, 8 })
        {
            var prefix = model.Prefix(n);
            var stream = prefix.Compress(symbols.AsSpan(0, n * 49));
            var yHat = new float[n * 49];

            Assert.Equal(n, prefix.Channels);
            Assert.True(prefix.TryDecompress(stream, yHat, out var error), error);
            Assert.Equal(symbols.Take(n * 49).Select((s, i) => s + medians[i / 49]), yHat);
            Assert.Equal(model.IdealBits(symbols) > prefix.IdealBits(symbols.AsSpan(0, n * 49)), n < 8);
        }
        Assert.Same(model, model.Prefix(8));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Prefix(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Prefix(9));
    }
}
