using SplitNet.Models.Text;
using SplitNet.Training.Text;

namespace SplitNet.Evaluation;

/// <summary>
/// The three quality measures of received sentence embeddings: mean cosine to the unsplit ones,
/// the category accuracy of a linear head trained once on unsplit training embeddings (and never
/// on what a method delivers), and gloss → lemma retrieval among fixed candidates.
/// </summary>
internal sealed class TextQuality
{
    private readonly float[][] _reference;
    private readonly int[] _labels;
    private readonly float[] _weights;
    private readonly float[] _bias;
    private readonly int _classes;
    private readonly float[][] _lemmas;

    public TextQuality(float[][] probe, int[] probeLabels, int classes, float[][] lemmas, int[] labels, float[][] reference)
    {
        (_reference, _labels, _classes, _lemmas) = (reference, labels, classes, lemmas);
        using var head = CategoryHead.Fit(probe, probeLabels, classes);
        (_weights, _bias) = (head.weight!.detach().data<float>().ToArray(), head.bias!.detach().data<float>().ToArray());
    }

    public (double Cosine, double Accuracy, double Top1, double Top5) Score(float[][] received)
    {
        double cosine = received.Select((e, i) => BertModel.Cosine(e, _reference[i])).Average();
        double accuracy = received.Select((e, i) => Predict(e) == _labels[i] ? 1.0 : 0).Average();
        int queries = _lemmas.Length, top1 = 0, top5 = 0;
        for (int q = 0; q < queries; q++)
        {
            double own = BertModel.Cosine(received[q], _lemmas[q]);
            int better = _lemmas.Count(l => BertModel.Cosine(received[q], l) > own);
            top1 += better == 0 ? 1 : 0;
            top5 += better < 5 ? 1 : 0;
        }
        return (cosine, accuracy, (double)top1 / queries, (double)top5 / queries);
    }

    private int Predict(float[] embedding)
    {
        int best = 0;
        double bestScore = double.NegativeInfinity;
        for (int c = 0; c < _classes; c++)
        {
            double score = _bias[c];
            for (int d = 0; d < embedding.Length; d++)
            {
                score += _weights[c * embedding.Length + d] * embedding[d];
            }
            (best, bestScore) = score > bestScore ? (c, score) : (best, bestScore);
        }
        return best;
    }
}
