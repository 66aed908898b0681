using SplitNet.Codec.Entropy;
using SplitNet.Models.Entropy;
using SplitNet.Models.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace SplitNet.Models.Tests;

[Collection(nameof(TorchCollection))]
public sealed class EntropyBottleneckTests
{
    private static EntropyBottleneck Trained(int channels, int seed)
    {
        random.manual_seed(seed);
        var bottleneck = new EntropyBottleneck(channels);
        // Fit the quantiles a little so the tables span a realistic range.
        var optimizer = optim.Adam(bottleneck.parameters(), 0.05);
        for (int step = 0; step < 200; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var y = randn(8, channels, 4, 4) * 3;
            var (_, likelihoods) = bottleneck.call(y);
            var loss = -likelihoods.log2().sum() / 8 + bottleneck.AuxLoss();
            loss.backward();
            optimizer.step();
        }
        bottleneck.eval();
        return bottleneck;
    }

    [Fact]
    public void StateDict_UsesCompressAINames()
    {
        using var bottleneck = new EntropyBottleneck(4);
        var names = bottleneck.state_dict().Keys.ToHashSet();
        foreach (var expected in new[] { "_matrix0", "_matrix4", "_bias0", "_bias4", "_factor0", "_factor3", "quantiles", "target", "_offset", "_quantized_cdf", "_cdf_length", "likelihood_lower_bound.bound" })
        {
            Assert.Contains(expected, names);
        }
        Assert.DoesNotContain("_factor4", names);
        Assert.Equal([4L, 3, 1], bottleneck.state_dict()["_matrix0"].shape);
        Assert.Equal([4L, 3, 3], bottleneck.state_dict()["_matrix1"].shape);
        Assert.Equal([4L, 1, 3], bottleneck.state_dict()["_matrix4"].shape);
    }

    [Fact]
    public void Compress_BeforeUpdate_SaysToCallUpdate()
    {
        using var bottleneck = new EntropyBottleneck(2);
        using var y = zeros(1, 2, 2, 2);
        var error = Assert.Throws<InvalidOperationException>(() => bottleneck.Compress(y));
        Assert.Contains("Update()", error.Message);
    }

    [Fact]
    public void Compress_ThenDecompress_GivesTheDequantizedLatent()
    {
        using var bottleneck = Trained(6, 1);
        Assert.True(bottleneck.Update());
        using var y = randn(3, 6, 5, 4) * 4;
        // Far outliers exercise the escape path.
        y[0, 1, 2, 3] = tensor(500f);
        y[2, 5, 0, 0] = tensor(-1234.4f);

        var strings = bottleneck.Compress(y);
        using var decoded = bottleneck.Decompress(strings, 5, 4);
        using var expected = bottleneck.Quantize(y, QuantizationMode.Dequantize);

        Assert.Equal(3, strings.Length);
        Assert.True(decoded.allclose(expected), "decoded latent differs from the dequantized one");
    }

    [Fact]
    public void Compress_CodedSize_IsCloseToTheModelsInformation()
    {
        using var bottleneck = Trained(4, 2);
        bottleneck.Update();
        using var y = randn(1, 4, 16, 16) * 3;
        using var _ = no_grad();
        var (_, likelihoods) = bottleneck.Forward(y, QuantizationMode.Dequantize);
        var idealBytes = -likelihoods.log2().sum().item<float>() / 8;

        var coded = bottleneck.Compress(y)[0].Length;

        Assert.InRange(coded, idealBytes * 0.99, idealBytes * 1.01 + 16);
    }

    [Fact]
    public void Update_TablesFollowTheQuantilesAndAreKeptUnlessForced()
    {
        using var bottleneck = Trained(3, 3);
        Assert.True(bottleneck.Update());
        var table = bottleneck.Table;
        var medians = bottleneck.Medians().data<float>().ToArray();
        var q = bottleneck.state_dict()["quantiles"];
        for (int c = 0; c < 3; c++)
        {
            // offset = −⌈median − q0⌉ and cdf_length = ⌈median − q0⌉ + ⌈q2 − median⌉ + 3.
            int minima = (int)Math.Max(0, Math.Ceiling(medians[c] - q[c, 0, 0].item<float>()));
            int maxima = (int)Math.Max(0, Math.Ceiling(q[c, 0, 2].item<float>() - medians[c]));
            Assert.Equal(-minima, table.Offset(c));
            Assert.Equal(minima + maxima + 3, table.Cdf(c).Length);
        }
        Assert.False(bottleneck.Update());
        Assert.True(bottleneck.Update(force: true));
        Assert.Equal(table.Hash, bottleneck.Table.Hash);
    }

    [Fact]
    public void AuxLoss_Optimised_MovesQuantilesToTheTailTargets()
    {
        random.manual_seed(4);
        using var bottleneck = new EntropyBottleneck(2);
        // At init the cumulative logit grows as y/10, so the ±21.4 targets sit near ±214.
        var before = bottleneck.AuxLoss().item<float>();
        var optimizer = optim.Adam(bottleneck.named_parameters().Where(p => p.name == "quantiles").Select(p => p.parameter), 3.0);
        for (int i = 0; i < 300; i++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            bottleneck.AuxLoss().backward();
            optimizer.step();
        }
        Assert.True(bottleneck.AuxLoss().item<float>() < before / 10, $"aux loss {before} did not drop tenfold");
    }

    [Fact]
    public void Gdn1_OneChannelAtInit_DividesByOnePlusATenthOfTheMagnitude()
    {
        using var gdn = new Gdn1(1);
        using var igdn = new Gdn1(1, inverse: true);
        using var x = tensor(new[] { -4f, 0f, 2f, 10f }, [1, 1, 2, 2]);
        using var y = gdn.call(x);
        using var z = igdn.call(x);
        var expected = new[] { -4f / 1.4f, 0f, 2f / 1.2f, 10f / 2f };
        Assert.Equal(expected, y.data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-4);
        Assert.Equal(new[] { -4f * 1.4f, 0f, 2f * 1.2f, 10f * 2f }, z.data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-4);
    }

    [Fact]
    public void Forward_FiftyTimes_LeavesNoLiveTensors()
    {
        using var bottleneck = new EntropyBottleneck(4);
        using var gdn = new Gdn1(4);
        bottleneck.eval();
        using var mode = inference_mode();
        using var x = randn(2, 4, 3, 3);
        using (NewDisposeScope())
        {
            bottleneck.call(gdn.call(x));
        }
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 50; i++)
        {
            using var scope = NewDisposeScope();
            var (yHat, likelihoods) = bottleneck.call(gdn.call(x));
            _ = likelihoods.sum().item<float>() + yHat.sum().item<float>();
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}

[Collection(nameof(TorchCollection))]
public sealed class UpdateRecomputationTests
{
    /// <summary>The CDF cascade of one channel evaluated in double precision from the raw parameters.</summary>
    private static double Logit(IReadOnlyDictionary<string, Tensor> state, int channel, double y)
    {
        double[] x = [y];
        for (int k = 0; k < 5; k++)
        {
            var matrix = state[$"_matrix{k}"][channel];
            var bias = state[$"_bias{k}"][channel];
            int outputs = (int)matrix.shape[0], inputs = (int)matrix.shape[1];
            var next = new double[outputs];
            for (int o = 0; o < outputs; o++)
            {
                double sum = bias[o, 0].item<float>();
                for (int i = 0; i < inputs; i++)
                {
                    sum += Math.Log(1 + Math.Exp(matrix[o, i].item<float>())) * x[i];
                }
                if (k < 4)
                {
                    sum += Math.Tanh(state[$"_factor{k}"][channel][o, 0].item<float>()) * Math.Tanh(sum);
                }
                next[o] = sum;
            }
            x = next;
        }
        return x[0];
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    [Fact]
    public void Update_Tables_EqualARecomputationFromTheParameters()
    {
        random.manual_seed(11);
        using var bottleneck = new EntropyBottleneck(3);
        var optimizer = optim.Adam(bottleneck.parameters(), 0.05);
        for (int step = 0; step < 150; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var (_, likelihoods) = bottleneck.call(randn(8, 3, 4, 4) * 2.5);
            (-likelihoods.log2().sum() / 8 + bottleneck.AuxLoss()).backward();
            optimizer.step();
        }
        bottleneck.Update();
        var state = bottleneck.state_dict();
        var table = bottleneck.Table;
        int maxLength = Enumerable.Range(0, 3).Max(c => table.Cdf(c).Length - 2);

        for (int c = 0; c < 3; c++)
        {
            double q0 = state["quantiles"][c, 0, 0].item<float>(), median = state["quantiles"][c, 0, 1].item<float>(), q2 = state["quantiles"][c, 0, 2].item<float>();
            int minima = (int)Math.Max(0, Math.Ceiling(median - q0)), maxima = (int)Math.Max(0, Math.Ceiling(q2 - median));
            double start = (float)(median - minima);
            var pmf = new float[minima + maxima + 2];
            for (int k = 0; k < pmf.Length - 1; k++)
            {
                pmf[k] = (float)Math.Abs(Sigmoid(Logit(state, c, start + k + 0.5)) - Sigmoid(Logit(state, c, start + k - 0.5)));
            }
            pmf[^1] = (float)(Sigmoid(Logit(state, c, start - 0.5)) + Sigmoid(-Logit(state, c, start + maxLength - 1 + 0.5)));
            var expected = QuantizedCdf.FromPmf(pmf);

            Assert.Equal(-minima, table.Offset(c));
            Assert.Equal(expected.Length, table.Cdf(c).Length);
            // float32 (libtorch) against double evaluation: a count or two of 65,536 may differ.
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.InRange(table.Cdf(c)[i], expected[i] - 2, expected[i] + 2);
            }
        }
    }
}
