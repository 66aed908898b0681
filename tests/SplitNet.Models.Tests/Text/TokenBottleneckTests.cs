using SplitNet.Models.Entropy;
using SplitNet.Models.Text;
using static TorchSharp.torch;

namespace SplitNet.Models.Tests.Text;

public sealed class TokenBottleneckTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(128)]
    public void TokenLatent_RoundTripsThroughTheCoderAtAnyLength(int tokens)
    {
        manual_seed(5);
        using var bottleneck = new TokenBottleneck(16, new TokenBottleneckConfig(Cut: 1, Channels: 4, Width: 8));
        bottleneck.Bottleneck.Update(force: true);
        bottleneck.eval();
        using var _ = no_grad();
        using var h = randn(1, tokens, 16) * 3;
        using var y = bottleneck.Analysis(h);
        using var symbols = bottleneck.Bottleneck.Quantize(y, QuantizationMode.Symbols);
        using var expected = bottleneck.Bottleneck.Quantize(y, QuantizationMode.Dequantize);
        var model = bottleneck.Bottleneck.Model();

        Assert.Equal([1, 4, tokens, 1], y.shape);
        var payload = model.Compress(symbols.contiguous().data<int>().ToArray());
        var yHat = new float[4 * tokens];
        Assert.True(model.TryDecompress(payload, yHat, out var error), error);

        Assert.Equal(expected.data<float>().ToArray(), yHat);
        using var decoded = bottleneck.Synthesis(tensor(yHat, [1, 4, tokens, 1]));
        Assert.Equal([1, tokens, 16], decoded.shape);
    }

    [Fact]
    public void Center_IsAddedBackAfterSynthesis()
    {
        using var bottleneck = new TokenBottleneck(6, new TokenBottleneckConfig(Cut: 1, Channels: 2, Width: 4));
        using var _ = no_grad();
        using var zero = zeros(1, 2, 3, 1);
        using var before = bottleneck.Synthesis(zero);
        using var center = arange(6).to(ScalarType.Float32);

        bottleneck.Center(center);
        using var after = bottleneck.Synthesis(zero);

        Assert.True((after - before).allclose(center.expand(1, 3, 6)));
    }
}
