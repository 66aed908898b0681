using SplitNet.Models.Entropy;
using SplitNet.Models.Text;
using static TorchSharp.torch;

namespace SplitNet.Training.Text;

/// <summary>A trained bottleneck on held-out sentences, quantised as deployed (rounded, not noisy).</summary>
/// <param name="Cosine">Mean cosine of the split's sentence embedding to the unsplit model's.</param>
/// <param name="IdealBitsPerToken">Σ −log₂ p(ŷ) per token under the learned prior.</param>
public sealed record TextBottleneckScore(double Cosine, double IdealBitsPerToken, int Sentences, int Tokens);

public static class TextBottleneckEvaluation
{
    public static TextBottleneckScore Evaluate(BertModel bert, TokenBottleneck bottleneck, IReadOnlyList<long[]> sentences, int batchSize = 64)
    {
        bert.eval();
        bottleneck.eval();
        using var _ = no_grad();
        int cut = bottleneck.Config.Cut, layers = bert.Config.Layers;
        double cosine = 0, bits = 0, tokens = 0;
        for (int start = 0; start < sentences.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var batch = PaddedTokens.Of(Enumerable.Range(start, Math.Min(batchSize, sentences.Count - start)).ToArray(), sentences);
            var h = bert.Run(bert.Embed(batch.Ids), batch.Mask, 0, cut);
            var target = BertModel.MeanPool(bert.Run(h, batch.Mask, cut, layers), batch.Mask);
            var (yHat, likelihoods) = bottleneck.Bottleneck.Forward(bottleneck.Analysis(h), QuantizationMode.Dequantize);
            var embedding = BertModel.MeanPool(bert.Run(bottleneck.Synthesis(yHat), batch.Mask, cut, layers), batch.Mask);
            cosine += (embedding * target).sum().item<float>();
            bits += -(likelihoods.log2() * batch.Mask.unsqueeze(1).unsqueeze(-1)).sum().item<float>();
            tokens += batch.Mask.sum().item<float>();
        }
        return new TextBottleneckScore(cosine / sentences.Count, bits / tokens, sentences.Count, (int)tokens);
    }
}
