using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Training.Student;

namespace SplitNet.Models.Tests;

[Collection(nameof(TorchCollection))]
public sealed class ShippedSplitModelTests
{
    private static readonly string Shipped = Path.Combine(AppContext.BaseDirectory, "assets", "models", "entropic");

    [Fact]
    public void ShippedLevels_OnTheSample_ScoreAndCodeAsTheirManifestRecords()
    {
        var (manifest, edges) = TorchBundles.Load(SplitModelBundle.SideDirectory(Shipped, BundleSide.Edge), BundleSide.Edge);
        var (_, servers) = TorchBundles.Load(SplitModelBundle.SideDirectory(Shipped, BundleSide.Server), BundleSide.Server);
        var sample = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fashion-mnist-sample"), DatasetSplit.Test);

        Assert.True(manifest.Levels.Count >= 5, $"{manifest.Levels.Count} rate levels shipped");
        for (int level = 0; level < edges.Length; level++)
        {
            using var edge = edges[level];
            using var server = servers[level];
            var recorded = manifest.Levels[level].Score!;
            var score = StudentEvaluation.Evaluate(edge, server, sample);
            var bytes = manifest.Stream == Codec.Entropy.LatentStream.Compact ? score.CompactBytes : score.CodedBytes;

            Assert.Equal(10_000, recorded.Images);
            // The 500-image sample is about 2 points harder than the test set (the teacher: 92.8 % against 94.7 %).
            Assert.InRange(score.Accuracy, recorded.Accuracy - 0.05, recorded.Accuracy + 0.03);
            Assert.InRange(bytes, 0.8 * recorded.CodedBytes, 1.25 * recorded.CodedBytes);
        }
        Assert.True(manifest.Levels.Zip(manifest.Levels.Skip(1)).All(p => p.First.Score!.CodedBytes < p.Second.Score!.CodedBytes),
            "levels are not ordered lowest rate first");
    }
}
