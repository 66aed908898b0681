using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Export;
using SplitNet.Models.Split;
using SplitNet.OnnxRuntime;

namespace SplitNet.Server.Tests.Onnx;

/// <summary>A variable-rate model exported to ONNX: one graph per side for every level, run by ONNX Runtime as TorchSharp runs the student.</summary>
public sealed class LadderOnnxTests : IDisposable
{
    private static readonly int[] Ladder = [1, 2, 4];
    private readonly string _root = Directory.CreateTempSubdirectory("splitnet-ladder-onnx-").FullName;

    private string EdgeDirectory => Path.Combine(_root, "edge");
    private string ServerDirectory => Path.Combine(_root, "server");

    public LadderOnnxTests() => TinySplitModels.SaveLadder("onnx-ladder", Ladder, seed: 5, EdgeDirectory, ServerDirectory);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Export_EveryLevelSharesOneGraphPerSide_AndOnnxRuntimeAnswersAsTorchSharpAtEveryLevel()
    {
        var recorded = SplitModelOnnxExport.Export(EdgeDirectory, ServerDirectory);

        Assert.Equal(Ladder.Length, recorded.Count);
        Assert.Single(recorded.Select(l => l.EdgeOnnx!.File).Distinct());
        Assert.Single(recorded.Select(l => l.ServerOnnx!.File).Distinct());
        Assert.Single(Directory.GetFiles(EdgeDirectory, "*.onnx"));
        Assert.Single(Directory.GetFiles(ServerDirectory, "*.onnx"));

        var images = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fashion-mnist-sample"), DatasetSplit.Test).Take(8);
        using var torchEdge = SplitModel.Load(EdgeDirectory, BundleSide.Edge, TorchFamilies.All);
        using var torchServer = SplitModel.Load(ServerDirectory, BundleSide.Server, TorchFamilies.All);
        ISplitModelFamily[] onnx = [new OnnxRuntimeFamily(new OnnxRuntimeOptions { IntraOpThreads = 1 })];
        using var ortEdge = SplitModel.Load(EdgeDirectory, BundleSide.Edge, onnx);
        using var ortServer = SplitModel.Load(ServerDirectory, BundleSide.Server, onnx);
        int size = torchServer.Latent.MaxLength;

        int compared = 0;
        for (int i = 0; i < images.Count; i++)
        {
            var symbols = torchEdge.Levels[0].Edge!.Encode(images.Image(i)).Symbols;
            if (!symbols.SequenceEqual(ortEdge.Levels[0].Edge!.Encode(images.Image(i)).Symbols))
            {
                continue; // a value on a rounding boundary; the export test of the shipped model bounds how often
            }
            compared++;
            var top = ortEdge.Levels[^1].Entropy.Compress(symbols);
            for (int level = 0; level < Ladder.Length; level++)
            {
                var stream = ortEdge.Levels[level].Entropy.Compress(symbols);
                Assert.Equal(torchEdge.Levels[level].Entropy.Compress(symbols), stream);
                Assert.Equal(top.AsSpan(0, stream.Length).ToArray(), stream);

                var yHat = new float[symbols.Length];
                Assert.True(ortServer.Levels[level].Entropy.TryDecompress(stream, yHat, out var error), error);
                Assert.All(yHat.Skip(Ladder[level] * symbols.Length / 4), v => Assert.Equal(0, v));
                var expected = torchServer.Levels[level].Server!.Run(yHat, [size], size).Probabilities!;
                var actual = ortServer.Levels[level].Server!.Run(yHat, [size], size).Probabilities!;
                Assert.Equal(expected, actual, (a, b) => Math.Abs(a - b) <= 1e-4f);
            }
        }
        Assert.True(compared >= images.Count / 2, $"only {compared} of {images.Count} images coded to the same symbols");
    }
}
