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

    [Fact]
    public void FinerGrid_AtStepOne_IsTheTopLevel_AndAHalfStepCostsMoreBits()
    {
        using var model = TorchSplitModel.Load(Shipped);
        var sample = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fashion-mnist-sample"), DatasetSplit.Test).Take(200);
        var top = model.Levels[^1];

        var coded = StudentEvaluation.Evaluate(top, sample);
        var unit = StudentEvaluation.EvaluateOnGrid(top.Edge, top.Server, sample, 1);
        var half = StudentEvaluation.EvaluateOnGrid(top.Edge, top.Server, sample, 0.5);

        // Step 1 is the level itself: the same answers, and the densities' bits are the integer tables' within their rounding.
        Assert.Equal(coded.Accuracy, unit.Accuracy);
        Assert.InRange(unit.IdealBytes, 0.97 * coded.IdealBytes, 1.03 * coded.IdealBytes);
        // Halving the step costs about a bit more where a density is wide (73 → 146 B on the test set), not a bit for each of the 784 elements.
        Assert.InRange(half.IdealBytes, 1.3 * unit.IdealBytes, unit.IdealBytes + 98);
        Assert.Throws<ArgumentOutOfRangeException>(() => StudentEvaluation.EvaluateOnGrid(top.Edge, top.Server, sample, 0));
    }
}
