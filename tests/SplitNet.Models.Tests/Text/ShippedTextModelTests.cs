using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Split;
using SplitNet.Models.Text;

namespace SplitNet.Models.Tests.Text;

/// <summary>The shipped MiniLM split on glosses of the shipped WordNet sample, every level run as deployed.</summary>
[Collection(nameof(TorchCollection))]
public sealed class ShippedTextModelTests
{
    private static readonly string Shipped = Path.Combine(AppContext.BaseDirectory, "assets", "models", "minilm");

    [Fact]
    public void ShippedLevels_OnSampleGlosses_ComeCloserToTheUnsplitModelTheMoreTheySend()
    {
        using var edge = SplitModel.Load(SplitModelBundle.SideDirectory(Shipped, BundleSide.Edge), BundleSide.Edge, TorchFamilies.All);
        using var server = SplitModel.Load(SplitModelBundle.SideDirectory(Shipped, BundleSide.Server), BundleSide.Server, TorchFamilies.All);
        var (modelPath, vocabulary) = MiniLmPackage.Locate();
        using var bert = BertOnnxImport.Load(modelPath, BertConfig.MiniLmL6);
        var tokenizer = new WordPieceTokenizer(vocabulary, edge.Latent.MaxLength);
        // The sample runs category by category: every tenth gloss spans them.
        var glosses = WordNet.Load(Path.Combine(AppContext.BaseDirectory, "assets", "wordnet-sample", "data.noun")).Where((_, i) => i % 10 == 0).ToArray();
        var tokens = glosses.Select(g => tokenizer.Encode(g.Gloss)).ToArray();
        var unsplit = bert.SentenceEmbeddings(tokens);

        Assert.True(edge.Levels.Count >= 4, $"{edge.Levels.Count} rate levels shipped");
        Assert.Equal(25, server.Manifest.Labels.Count);
        var cosines = new double[edge.Levels.Count];
        var bytes = new double[edge.Levels.Count];
        for (int level = 0; level < edge.Levels.Count; level++)
        {
            for (int i = 0; i < tokens.Length; i++)
            {
                int[] ids = [.. tokens[i].Select(t => (int)t)];
                var stream = edge.Levels[level].Entropy.Compress(edge.Levels[level].Edge!.Encode(SplitInput.TokenIds(ids)).Symbols);
                var yHat = new float[server.Latent.Elements(ids.Length)];
                Assert.True(server.Levels[level].Entropy.TryDecompress(stream, yHat, out var error), error);
                var output = server.Levels[level].Server!.Run(yHat, [ids.Length], ids.Length);
                Assert.Equal(1.0, output.Probabilities!.Sum(), 3);
                cosines[level] += BertModel.Cosine(output.Embeddings!, unsplit[i]) / tokens.Length;
                bytes[level] += (double)stream.Length / tokens.Length;
            }
        }

        Assert.True(bytes.Zip(bytes.Skip(1)).All(p => p.First < p.Second), $"bytes per gloss by level: {string.Join(", ", bytes.Select(b => $"{b:F0}"))}");
        Assert.True(cosines[^1] > cosines[0] + 0.2, $"cosine by level: {string.Join(", ", cosines.Select(c => $"{c:F3}"))}");
        Assert.InRange(cosines[server.Manifest.DefaultLevel], 0.95, 1.0);
    }
}
