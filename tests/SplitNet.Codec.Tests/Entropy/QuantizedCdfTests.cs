using SplitNet.Codec.Entropy;

namespace SplitNet.Codec.Tests.Entropy;

public sealed class QuantizedCdfTests
{
    [Fact]
    public void FromPmf_ExactHalves_GivesTheExactCdf()
    {
        Assert.Equal([0, 32768, 49152, 65536], QuantizedCdf.FromPmf([0.5f, 0.25f, 0.25f]));
    }

    [Fact]
    public void FromPmf_ZeroMassSymbols_AreRepairedToFrequencyOne()
    {
        var cdf = QuantizedCdf.FromPmf([0.999999f, 0f, 1e-9f, 0f]);

        Assert.Equal(0, cdf[0]);
        Assert.Equal(65536, cdf[^1]);
        for (int i = 0; i < cdf.Length - 1; i++)
        {
            Assert.True(cdf[i + 1] > cdf[i], $"symbol {i} has no frequency");
        }
        // The three repaired symbols took their counts from the only symbol that had more than one.
        Assert.Equal(65533, cdf[1]);
    }

    [Fact]
    public void FromPmf_RandomPmfs_KeepTheInvariants()
    {
        var random = new Random(4);
        for (int trial = 0; trial < 500; trial++)
        {
            var pmf = new float[random.Next(1, 300)];
            for (int i = 0; i < pmf.Length; i++)
            {
                pmf[i] = random.Next(3) == 0 ? 0 : (float)Math.Pow(random.NextDouble(), 4);
            }
            pmf[random.Next(pmf.Length)] += 0.01f;
            var cdf = QuantizedCdf.FromPmf(pmf);
            Assert.Equal(pmf.Length + 1, cdf.Length);
            Assert.Equal(0, cdf[0]);
            Assert.Equal(QuantizedCdf.Total, cdf[^1]);
            if (pmf.Length < 1000)
            {
                for (int i = 0; i < pmf.Length; i++)
                {
                    Assert.True(cdf[i + 1] > cdf[i]);
                }
            }
        }
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void FromPmf_InvalidProbability_Throws(float bad) =>
        Assert.Throws<ArgumentException>(() => QuantizedCdf.FromPmf([0.5f, bad]));

    [Fact]
    public void FromPmf_AllZero_Throws() =>
        Assert.Throws<ArgumentException>(() => QuantizedCdf.FromPmf([0f, 0f]));
}
