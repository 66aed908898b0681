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
        using var model = TorchSplitModel.Load(Shipped);
        var manifest = model.Manifest;
        var sample = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fashion-mnist-sample"), DatasetSplit.Test);

        Assert.True(model.Levels.Count >= 8, $"{model.Levels.Count} rate levels shipped");
        Assert.True(model.IsLadder, "the shipped model is not one variable-rate student");
        foreach (var level in model.Levels)
        {
            var recorded = manifest.Levels[level.Level].Score!;
            var score = StudentEvaluation.Evaluate(level, sample);
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
