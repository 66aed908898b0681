using System.Security.Cryptography;
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
        var manifestPath = Path.Combine(directory, ManifestFile);
        if (!File.Exists(manifestPath))
        {
            throw new FileNotFoundException($"{manifestPath}: teacher manifest not found.", manifestPath);
        }
        var manifest = BundleJson.Read<TeacherManifest>(manifestPath);
        if (manifest.Format != TeacherManifest.CurrentFormat)
        {
            throw new InvalidDataException($"{manifestPath}: format '{manifest.Format}' is not {TeacherManifest.CurrentFormat}.");
        }
        var weightsPath = Path.Combine(directory, manifest.Weights);
        var hash = Sha256(weightsPath);
        if (!string.Equals(hash, manifest.WeightsSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"{weightsPath}: SHA-256 {hash} does not match {manifest.WeightsSha256} in {manifestPath}.");
        }
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
            WeightsSha256 = Sha256(weightsPath),
            Training = training,
        };
        BundleJson.Write(Path.Combine(directory, ManifestFile), manifest);
        return manifest;
    }

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
