using SplitNet.Evaluation;

namespace SplitNet.Evaluation.Tests;

public sealed class InversionProbeTests
{
    private const int Width = 16, Vocabulary = 40;

    /// <summary>Sentences of random ids whose rows are a fixed code per id plus noise, or noise alone.</summary>
    private static List<(long[] Ids, float[] Vectors)> Sentences(int count, int seed, bool leaky)
    {
        var codes = new Random(1);
        var code = Enumerable.Range(0, Vocabulary).Select(_ => Enumerable.Range(0, Width).Select(_ => (float)codes.NextDouble() * 2 - 1).ToArray()).ToArray();
        var random = new Random(seed);
        var sentences = new List<(long[], float[])>();
        for (int s = 0; s < count; s++)
        {
            long[] ids = [101, .. Enumerable.Range(0, random.Next(3, 9)).Select(_ => (long)random.Next(Vocabulary)), 102];
            var vectors = ids.SelectMany(id => Enumerable.Range(0, Width)
                .Select(d => (leaky && id < Vocabulary ? code[id][d] : 0) + 0.05f * (float)(random.NextDouble() - 0.5))).ToArray();
            sentences.Add((ids, vectors));
        }
        return sentences;
    }

    [Fact]
    public void Recovery_OfVectorsThatCodeTheToken_IsNearlyAll_AndOfNoiseNearChance()
    {
        double leaky = InversionProbe.Recovery(Sentences(300, 2, leaky: true), Sentences(60, 3, leaky: true), Width);
        double blind = InversionProbe.Recovery(Sentences(300, 2, leaky: false), Sentences(60, 3, leaky: false), Width);

        Assert.True(leaky > 0.95, $"recovered {leaky:P1} of tokens their rows name outright");
        Assert.True(blind < 0.15, $"recovered {blind:P1} of tokens from rows of pure noise (chance is {1.0 / Vocabulary:P1})");
    }
}
