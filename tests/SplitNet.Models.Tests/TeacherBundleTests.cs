using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Teacher;
using TorchSharp;

namespace SplitNet.Models.Tests;

[Collection(nameof(TorchCollection))]
public sealed class TeacherBundleTests : IDisposable
{
    private static readonly string Shipped = Path.Combine(AppContext.BaseDirectory, "assets", "models", "teacher");
    private readonly string _directory = Directory.CreateTempSubdirectory("splitnet-bundle-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Load_ShippedTeacher_ScoresOnTheSampleWithinTwoPointsOfItsTestAccuracy()
    {
        var (model, manifest) = TeacherBundle.Load(Shipped);
        using var _ = model;
        var sample = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fashion-mnist-sample"), DatasetSplit.Test);

        var accuracy = TeacherEvaluation.Accuracy(TeacherEvaluation.Predict(model, sample), sample.Labels);

        Assert.NotNull(manifest.Training);
        Assert.Equal(10_000, manifest.Training.TestImages);
        Assert.True(manifest.Training.TestAccuracy >= 0.93, $"shipped teacher scored {manifest.Training.TestAccuracy:P2}");
        Assert.InRange(accuracy, manifest.Training.TestAccuracy - 0.02, manifest.Training.TestAccuracy + 0.02);
    }

    [Fact]
    public void Save_ThenLoad_GivesTheSameOutputs()
    {
        torch.random.manual_seed(9);
        using var model = new TeacherNet(new TeacherConfig([8, 16, 32], 1, 10));
        model.eval();
        TeacherBundle.Save(model, _directory, "tiny", training: null);

        var (loaded, manifest) = TeacherBundle.Load(_directory);
        using var _ = loaded;
        using var x = torch.randn(2, 1, 28, 28);
        using var expected = model.call(x);
        using var actual = loaded.call(x);

        Assert.Equal("tiny", manifest.ModelId);
        Assert.True(actual.allclose(expected));
    }

    [Fact]
    public void Load_TamperedWeights_FailsOnTheHash()
    {
        torch.random.manual_seed(10);
        using var model = new TeacherNet(new TeacherConfig([8, 16, 32], 1, 10));
        TeacherBundle.Save(model, _directory, "tiny", training: null);
        var weights = Path.Combine(_directory, "weights.safetensors");
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 1;
        File.WriteAllBytes(weights, bytes);

        var error = Assert.Throws<InvalidDataException>(() => TeacherBundle.Load(_directory));
        Assert.Contains("SHA-256", error.Message);
        Assert.Contains(weights, error.Message);
    }

    [Fact]
    public void Load_MalformedManifest_NamesTheFile()
    {
        File.WriteAllText(Path.Combine(_directory, "manifest.json"), "{ \"model_id\": ");

        var error = Assert.Throws<InvalidDataException>(() => TeacherBundle.Load(_directory));
        Assert.Contains(Path.Combine(_directory, "manifest.json"), error.Message);
        Assert.Contains("malformed JSON", error.Message);
    }
}
