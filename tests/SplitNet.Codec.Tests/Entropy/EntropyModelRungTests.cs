using SplitNet.Codec.Entropy;

namespace SplitNet.Codec.Tests.Entropy;

/// <summary>A variable-rate rung codes a whole latent as the prefix of its embedded stream that carries its leading channels.</summary>
public sealed class EntropyModelRungTests
{
    private static readonly int[] Ladder = [1, 3, 8];

    [Theory]
    [InlineData(LatentStream.Compact)]
    [InlineData(LatentStream.CompressAI)]
    public void AtRung_CodesTheStreamsPrefix_AndDecodesTheLeadingChannels_TheRestZero(LatentStream format)
    {
        var random = new Random(4);
        var table = LatentStreamContractTests.LaplaceTable(8, random);
        var medians = Enumerable.Range(0, 8).Select(c => c * 0.25f - 1).ToArray();
        var model = new EntropyModel(table, medians, format);
        var symbols = LatentStreamContractTests.Symbols(table, 49, random, escapeRate: 0.02);
        var whole = model.Compress(symbols);

        for (int rung = 0; rung < Ladder.Length; rung++)
        {
            var at = model.AtRung(Ladder, rung);
            var stream = at.Compress(symbols);
            var yHat = new float[8 * 49];

            Assert.Equal(whole.AsSpan(0, stream.Length).ToArray(), stream);
            Assert.Equal((Ladder[rung], model.TablesSha256), (at.SentChannels, at.TablesSha256));
            Assert.True(at.TryDecompress(stream, yHat, out var error), error);
            int sent = Ladder[rung] * 49;
            Assert.Equal(symbols.Take(sent).Select((s, i) => s + medians[i / 49]), yHat.Take(sent));
            Assert.All(yHat.Skip(sent), v => Assert.Equal(0f, v));
            Assert.Equal(rung == Ladder.Length - 1, at.IdealBits(symbols) == model.IdealBits(symbols));
        }
        Assert.Equal(whole, model.AtRung(Ladder, 2).Compress(symbols));
    }

    [Theory]
    [InlineData(new[] { 1, 4 })]
    [InlineData(new[] { 0, 8 })]
    [InlineData(new[] { 4, 2, 8 })]
    public void AtRung_ALadderThatDoesNotAscendToEveryChannel_Throws(int[] ladder)
    {
        var model = new EntropyModel(LatentStreamContractTests.LaplaceTable(8, new Random(1)), new float[8], LatentStream.Compact);
        Assert.Throws<ArgumentException>(() => model.AtRung(ladder, 0));
    }
}
