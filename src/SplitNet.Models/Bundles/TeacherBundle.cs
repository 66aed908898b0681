using SplitNet.Models.Data;
using SplitNet.Models.Teacher;
using TorchSharp.PyBridge;

namespace SplitNet.Models.Bundles;

/// <summary>Saves and loads a teacher as <c>manifest.json</c> + safetensors weights.</summary>
public static class TeacherBundle
{
    public const string ManifestFile = "manifest.json";

    /// <summary>Loads the bundle in <paramref name="directory"/>, checking the weights' hash.</summary>
    public static (TeacherNet Model, TeacherManifest Manifest) Load(string directory)
    {
        var manifest = BundleJson.ReadManifest<TeacherManifest>(directory, TeacherManifest.CurrentFormat, m => m.Format, out var manifestPath);
        var weightsPath = Path.Combine(directory, manifest.Weights);
        BundleJson.VerifySha256(weightsPath, manifest.WeightsSha256, manifestPath);
        var model = new TeacherNet(manifest.Architecture);
        model.load_safetensors(weightsPath, strict: true);
        model.eval();
        return (model, manifest);
    }

    /// <summary>Writes <paramref name="model"/> and its manifest to <paramref name="directory"/>.</summary>
    public static TeacherManifest Save(TeacherNet model, string directory, string modelId, TrainingSummary? training)
    {
        Directory.CreateDirectory(directory);
        var weightsPath = Path.Combine(directory, "weights.safetensors");
        model.save_safetensors(weightsPath);
        var manifest = new TeacherManifest
        {
            ModelId = modelId,
            Architecture = model.Config,
            Labels = FashionMnist.Labels,
            Normalization = [FashionMnist.Mean, FashionMnist.Std],
            WeightsSha256 = BundleJson.Sha256(weightsPath),
            Training = training,
        };
        BundleJson.Write(Path.Combine(directory, ManifestFile), manifest);
        return manifest;
    }

}
