using static TorchSharp.torch;

namespace SplitNet.Evaluation;

/// <summary>
/// How much of the text crosses the wire: a small attacker model (per token, width → 256 → one
/// logit per id it has seen) trained on held-out sentences to recover each token's id from the
/// vector the server receives for it. Its top-1 accuracy on other sentences' tokens ([CLS] and
/// [SEP] excluded, which any attacker gets for free) is the token recovery rate; sending the text
/// itself is 100 %.
/// </summary>
public static class InversionProbe
{
    private const int Hidden = 256, Epochs = 3, BatchSize = 256;

    /// <param name="train">Per held-out sentence: its ids and one row of <c>width</c> floats per token.</param>
    /// <param name="test">The same for the sentences scored.</param>
    public static double Recovery(IReadOnlyList<(long[] Ids, float[] Vectors)> train, IReadOnlyList<(long[] Ids, float[] Vectors)> test, int width)
    {
        var (trainX, trainIds) = Inner(train, width);
        var (testX, testIds) = Inner(test, width);
        // The attacker can name only ids it has seen; any other id counts as missed.
        var classes = trainIds.Distinct().Order().ToArray();
        var index = classes.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => (long)p.i);
        manual_seed(5);
        using var model = nn.Sequential(nn.Linear(width, Hidden), nn.GELU(), nn.Linear(Hidden, classes.Length));
        using var optimizer = optim.Adam(model.parameters(), 2e-3);
        using var x = tensor(trainX, [trainIds.Length, width]);
        using var y = tensor(trainIds.Select(id => index[id]).ToArray());
        // Standardised per dimension on the training vectors, so one learning rate fits every representation.
        using var mean = x.mean([0]);
        using var spread = x.std([0]).clamp_min(1e-6);
        var random = new Random(5);
        var order = Enumerable.Range(0, trainIds.Length).ToArray();
        for (int epoch = 0; epoch < Epochs; epoch++)
        {
            random.Shuffle(order);
            for (int start = 0; start < order.Length; start += BatchSize)
            {
                using var scope = NewDisposeScope();
                var batch = tensor(order[start..Math.Min(order.Length, start + BatchSize)].Select(i => (long)i).ToArray());
                optimizer.zero_grad();
                nn.functional.cross_entropy(model.call((x.index_select(0, batch) - mean) / spread), y.index_select(0, batch)).backward();
                optimizer.step();
            }
        }
        model.eval();
        using var mode = inference_mode();
        using var testScope = NewDisposeScope();
        var predicted = model.call((tensor(testX, [testIds.Length, width]) - mean) / spread).argmax(1).data<long>().ToArray();
        return testIds.Select((id, i) => classes[predicted[i]] == id ? 1.0 : 0).Average();
    }

    /// <summary>Every token but the first and last of each sentence: its row and its id.</summary>
    private static (float[] Rows, long[] Ids) Inner(IReadOnlyList<(long[] Ids, float[] Vectors)> sentences, int width)
    {
        var rows = new List<float>();
        var ids = new List<long>();
        foreach (var (sentenceIds, vectors) in sentences)
        {
            for (int t = 1; t < sentenceIds.Length - 1; t++)
            {
                rows.AddRange(vectors.AsSpan(t * width, width));
                ids.Add(sentenceIds[t]);
            }
        }
        return ([.. rows], [.. ids]);
    }
}
