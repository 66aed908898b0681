using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Export;
using SplitNet.Models.Split;
using SplitNet.Models.Text;
using Xunit.Abstractions;

namespace SplitNet.Models.Tests.Onnx;

/// <summary>The shipped MiniLM split exported to ONNX and run with ONNX Runtime against TorchSharp on WordNet sample glosses.</summary>
[Collection(nameof(TorchCollection))]
public sealed class TextOnnxExportTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string Shipped = Path.Combine(AppContext.BaseDirectory, "assets", "models", "minilm");
    private readonly BundleCopy _bundles = new(Shipped);

    [Fact]
    public void ExportedLevels_OnSampleGlosses_GiveTorchSharpsSymbolsEmbeddingsAndProbabilities()
    {
        var recorded = SplitModelOnnxExport.Export(_bundles.Edge, _bundles.Server);
        using var edge = SplitModel.Load(_bundles.Edge, BundleSide.Edge, TorchFamilies.All);
        using var server = SplitModel.Load(_bundles.Server, BundleSide.Server, TorchFamilies.All);
        var tokenizer = new WordPieceTokenizer(MiniLmPackage.Locate().Vocabulary, edge.Latent.MaxLength);
        var tokens = WordNet.Load(Path.Combine(AppContext.BaseDirectory, "assets", "wordnet-sample", "data.noun"))
            .Where((_, i) => i % 60 == 0).Take(6).Select(g => tokenizer.Encode(g.Gloss)).ToArray();
        int n = tokens.Length, channels = server.Latent.Channels, classes = server.Manifest.Labels.Count, embedding = server.Manifest.EmbeddingSize;
        var lengths = tokens.Select(t => t.Length).ToArray();
        int padded = lengths.Max();
        Assert.True(lengths.Distinct().Count() > 1, "the glosses should need padding");

        Assert.Equal(edge.Levels.Count, recorded.Count);
        for (int level = 0; level < edge.Levels.Count; level++)
        {
            var entropy = edge.Levels[level].Entropy;
            var torchSymbols = tokens.Select(t => edge.Levels[level].Edge!.Encode(SplitInput.TokenIds([.. t.Select(id => (int)id)])).Symbols).ToArray();
            int[][] onnxSymbols;
            using (var session = new OrtRun(Path.Combine(_bundles.Edge, recorded[level].EdgeOnnx!.File)))
            {
                onnxSymbols = [.. tokens.Select(t => session.Run<int>(OrtRun.Input("input_ids", t, 1, t.Length))["symbols"])];
                var twice = session.Run<int>(OrtRun.Input("input_ids", [.. tokens[0], .. tokens[0]], 2, lengths[0]))["symbols"];
                Assert.Equal([.. onnxSymbols[0], .. onnxSymbols[0]], twice);
            }
            var torchYHat = Padded(torchSymbols, entropy, lengths, channels, padded);
            var onnxYHat = Padded(onnxSymbols, entropy, lengths, channels, padded);
            var torchServer = server.Levels[level].Server!.Run(torchYHat, lengths, padded);
            var fromOnnxSymbols = server.Levels[level].Server!.Run(onnxYHat, lengths, padded);
            Dictionary<string, float[]> onnx;
            using (var session = new OrtRun(Path.Combine(_bundles.Server, recorded[level].ServerOnnx!.File)))
            {
                var mask = lengths.SelectMany(l => Enumerable.Range(0, padded).Select(s => s < l ? 1f : 0f)).ToArray();
                onnx = session.Run<float>(OrtRun.Input("y_hat", torchYHat, n, channels, padded), OrtRun.Input("attention_mask", mask, n, padded));
            }

            int total = torchSymbols.Sum(s => s.Length);
            int differing = torchSymbols.Zip(onnxSymbols).Sum(p => p.First.Zip(p.Second).Count(q => q.First != q.Second));
            double agreement = 1 - (double)differing / total;
            double embeddingDelta = MaxDelta(torchServer.Embeddings!, onnx["embeddings"]);
            double probabilityDelta = MaxDelta(torchServer.Probabilities!, onnx["probabilities"]);
            output.WriteLine($"level {level}: symbols agree on {agreement:P4} ({differing} of {total} differ); " +
                $"max |Δ embedding| {embeddingDelta:E2}, max |Δ probability| {probabilityDelta:E2}");
            Assert.Equal(n * embedding, onnx["embeddings"].Length);
            Assert.Equal(n * classes, onnx["probabilities"].Length);
            Assert.True(agreement >= 0.999, $"level {level}: symbols agree on {agreement:P4}");
            Assert.True(embeddingDelta <= 1e-4, $"level {level}: max |ONNX − TorchSharp| embedding {embeddingDelta:E2}");
            Assert.True(probabilityDelta <= 1e-4, $"level {level}: max |ONNX − TorchSharp| probability {probabilityDelta:E2}");
            for (int i = 0; i < n; i++)
            {
                if (!torchSymbols[i].SequenceEqual(onnxSymbols[i]))
                {
                    Assert.True(ArgMax(torchServer.Probabilities!, i, classes) == ArgMax(fromOnnxSymbols.Probabilities!, i, classes),
                        $"level {level}, gloss {i}: the ONNX symbols change the TorchSharp server's category");
                }
            }
        }
    }

    /// <summary>ŷ of each gloss's symbols (C, length) laid out as a server part reads a batch: (C, padded) per gloss, zero past its length.</summary>
    private static float[] Padded(int[][] symbols, Codec.Entropy.EntropyModel entropy, int[] lengths, int channels, int padded)
    {
        var yHat = new float[symbols.Length * channels * padded];
        for (int i = 0; i < symbols.Length; i++)
        {
            var own = new float[symbols[i].Length];
            entropy.Dequantize(symbols[i], own);
            for (int c = 0; c < channels; c++)
            {
                own.AsSpan(c * lengths[i], lengths[i]).CopyTo(yHat.AsSpan((i * channels + c) * padded));
            }
        }
        return yHat;
    }

    private static double MaxDelta(float[] expected, float[] actual) => expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));

    private static int ArgMax(float[] probabilities, int frame, int classes)
    {
        var row = probabilities.AsSpan(frame * classes, classes);
        return row.IndexOf(row.ToArray().Max());
    }

    public void Dispose() => _bundles.Dispose();
}
