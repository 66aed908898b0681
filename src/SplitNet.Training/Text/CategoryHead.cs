using SplitNet.Models.Data;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SplitNet.Training.Text;

/// <summary>
/// The WordNet category head on sentence embeddings: multinomial logistic regression trained once,
/// full batch and seeded, on the unsplit model's embeddings of training glosses. The shipped text
/// model answers its probabilities; the benchmark scores every method with it, never retraining
/// it on what a method delivers.
/// </summary>
public static class CategoryHead
{
    /// <summary>The 25 noun supersenses, in lexicographer-file order (noun.Tops left out, as in <see cref="TextSplits"/>).</summary>
    public static IReadOnlyList<string> Labels => Names;

    private static readonly string[] Names = [.. WordNet.LexicographerFiles.Where(f => f.StartsWith("noun.", StringComparison.Ordinal) && f != "noun.Tops")];

    public static int Label(Synset synset) => Array.IndexOf(Names, synset.Category) is >= 0 and var label ? label
        : throw new ArgumentException($"{synset.Category} is not a category of the head.", nameof(synset));

    /// <summary>A linear layer from the embedding to one logit per class, fitted to <paramref name="labels"/>.</summary>
    public static Linear Fit(IReadOnlyList<float[]> embeddings, IReadOnlyList<int> labels, int classes, int steps = 400)
    {
        manual_seed(1);
        int width = embeddings[0].Length;
        var head = nn.Linear(width, classes);
        using var x = tensor(embeddings.SelectMany(e => e).ToArray(), [embeddings.Count, width]);
        using var y = tensor(labels.Select(l => (long)l).ToArray());
        using var optimizer = optim.Adam(head.parameters(), 1e-2, weight_decay: 1e-4);
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(head.call(x), y).backward();
            optimizer.step();
        }
        return head;
    }
}
