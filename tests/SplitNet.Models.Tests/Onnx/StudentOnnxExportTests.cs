using System.Text.Json.Nodes;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Export;
using SplitNet.Models.Split;
using Xunit.Abstractions;

namespace SplitNet.Models.Tests.Onnx;

/// <summary>The shipped variable-rate Entropic Student exported to ONNX and run with ONNX Runtime against TorchSharp on the sample images, at every level.</summary>
[Collection(nameof(TorchCollection))]
public sealed class StudentOnnxExportTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string Shipped = Path.Combine(AppContext.BaseDirectory, "assets", "models", "entropic");
    private readonly BundleCopy _bundles = new(Shipped);

    [Fact]
    public void ExportedLevels_OnTheSample_GiveTorchSharpsSymbolsAndProbabilities()
    {
        var recorded = SplitModelOnnxExport.Export(_bundles.Edge, _bundles.Server);
        using var edge = SplitModel.Load(_bundles.Edge, BundleSide.Edge, TorchFamilies.All);
        using var server = SplitModel.Load(_bundles.Server, BundleSide.Server, TorchFamilies.All);
        var sample = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fashion-mnist-sample"), DatasetSplit.Test);
        int n = sample.Count, classes = server.Manifest.Labels.Count, size = server.Latent.MaxLength, perImage = server.Latent.Elements(size);
        var pixels = sample.Pixels.Select(p => (float)p).ToArray();

        Assert.Equal(edge.Levels.Count, recorded.Count);
        for (int level = 0; level < edge.Levels.Count; level++)
        {
            var entropy = edge.Levels[level].Entropy;
            var torchSymbols = new int[n * perImage];
            for (int i = 0; i < n; i++)
            {
                edge.Levels[level].Edge!.Encode(sample.Image(i)).Symbols.CopyTo(torchSymbols, i * perImage);
            }
            int[] onnxSymbols;
            using (var session = new OrtRun(Path.Combine(_bundles.Edge, recorded[level].EdgeOnnx!.File)))
            {
                onnxSymbols = session.Run<int>(OrtRun.Input("pixels", pixels, n, 1, sample.Height, sample.Width))["symbols"];
            }
            var torchYHat = new float[torchSymbols.Length];
            var onnxYHat = new float[onnxSymbols.Length];
            // What the server gets at this level: the rung's leading channels, the rest zero.
            int sent = entropy.SentChannels * (perImage / entropy.Channels);
            for (int i = 0; i < n; i++)
            {
                entropy.Dequantize(torchSymbols.AsSpan(i * perImage, perImage), torchYHat.AsSpan(i * perImage, perImage));
                entropy.Dequantize(onnxSymbols.AsSpan(i * perImage, perImage), onnxYHat.AsSpan(i * perImage, perImage));
                torchYHat.AsSpan(i * perImage + sent, perImage - sent).Clear();
                onnxYHat.AsSpan(i * perImage + sent, perImage - sent).Clear();
            }
            var lengths = Enumerable.Repeat(size, n).ToArray();
            var torchProbabilities = server.Levels[level].Server!.Run(torchYHat, lengths, size).Probabilities!;
            var fromOnnxSymbols = server.Levels[level].Server!.Run(onnxYHat, lengths, size).Probabilities!;
            float[] onnxProbabilities;
            using (var session = new OrtRun(Path.Combine(_bundles.Server, recorded[level].ServerOnnx!.File)))
            {
                int[] shape = [n, .. server.Latent.Dimensions];
                onnxProbabilities = session.Run<float>(OrtRun.Input("y_hat", torchYHat, shape))["probabilities"];
            }

            int differing = torchSymbols.Zip(onnxSymbols).Count(p => p.First != p.Second);
            double agreement = 1 - (double)differing / torchSymbols.Length;
            double worst = torchProbabilities.Zip(onnxProbabilities).Max(p => Math.Abs(p.First - p.Second));
            output.WriteLine($"level {level}: symbols agree on {agreement:P4} ({differing} of {torchSymbols.Length} differ); max |Δ probability| {worst:E2}");
            Assert.True(agreement >= 0.999, $"level {level}: symbols agree on {agreement:P4}");
            Assert.True(worst <= 1e-4, $"level {level}: max |ONNX − TorchSharp| probability {worst:E2}");
            for (int i = 0; i < n; i++)
            {
                if (!torchSymbols.AsSpan(i * perImage, perImage).SequenceEqual(onnxSymbols.AsSpan(i * perImage, perImage)))
                {
                    Assert.True(ArgMax(torchProbabilities, i, classes) == ArgMax(fromOnnxSymbols, i, classes),
                        $"level {level}, image {i}: the ONNX symbols change the TorchSharp server's class");
                }
            }
        }
    }

    [Fact]
    public void Export_OfTheShippedWeights_ReproducesTheShippedExportsByteForByte()
    {
        var recorded = SplitModelOnnxExport.Export(_bundles.Edge, _bundles.Server);

        var shipped = SplitModelBundle.ReadManifest(SplitModelBundle.SideDirectory(Shipped, BundleSide.Server), out _);
        Assert.Equal(shipped.Levels.Select(l => (l.EdgeOnnx, l.ServerOnnx)), recorded.Select(l => (l.EdgeOnnx, l.ServerOnnx)));
    }

    [Fact]
    public void Export_RecordsEachFileAndItsHash_AndKeepsTheRestOfBothManifests()
    {
        var before = new[] { BundleSide.Edge, BundleSide.Server }.ToDictionary(side => side, _bundles.Manifest);
        var recorded = SplitModelOnnxExport.Export(_bundles.Edge, _bundles.Server);

        foreach (var (directory, side) in new[] { (_bundles.Edge, BundleSide.Edge), (_bundles.Server, BundleSide.Server) })
        {
            var manifest = BundleJson.Read<SplitModelManifest>(Path.Combine(directory, SplitModelBundle.ManifestFile));
            Assert.Equal(recorded, manifest.Levels);
            foreach (var level in manifest.Levels)
            {
                // One graph a side, shared by every level of the variable-rate model.
                Assert.Equal("ladder.edge.onnx", level.EdgeOnnx!.File);
                Assert.Equal("ladder.server.onnx", level.ServerOnnx!.File);
                var file = side == BundleSide.Edge ? level.EdgeOnnx : level.ServerOnnx;
                Assert.Equal(BundleJson.Sha256(Path.Combine(directory, file.File)), file.Sha256);
            }
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, SplitModelBundle.ManifestFile)))!;
            foreach (var level in json["levels"]!.AsArray())
            {
                Assert.True(level!.AsObject().Remove("edge_onnx") && level.AsObject().Remove("server_onnx"));
            }
            Assert.Equal(before[side], json.ToJsonString(BundleJson.Options) + "\n");
        }
    }

    [Fact]
    public void Export_OfAFamilyWithoutAnOnnxForm_NamesTheManifest()
    {
        var path = Path.Combine(_bundles.Edge, SplitModelBundle.ManifestFile);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"entropic-student-ladder\"", "\"someone-elses\"", StringComparison.Ordinal));

        var error = Assert.Throws<NotSupportedException>(() => SplitModelOnnxExport.Export(_bundles.Edge, _bundles.Server));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_bundles.Edge, "*.onnx"));
    }

    private static int ArgMax(float[] probabilities, int frame, int classes)
    {
        var row = probabilities.AsSpan(frame * classes, classes);
        return row.IndexOf(row.ToArray().Max());
    }

    public void Dispose() => _bundles.Dispose();
}
