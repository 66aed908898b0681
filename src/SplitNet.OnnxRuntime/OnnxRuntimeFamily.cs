using SplitNet.Models.Bundles;
using SplitNet.Models.Split;

namespace SplitNet.OnnxRuntime;

/// <summary>
/// Any split model whose bundle holds ONNX exports of its parts, run by ONNX Runtime: each level's
/// graph from the manifest's <see cref="RateLevelManifest.EdgeOnnx"/> or
/// <see cref="RateLevelManifest.ServerOnnx"/>, its entropy model read straight from the level's
/// weights (<see cref="EntropyModelFile"/>), at its rung for a variable-rate model, whose levels
/// share one graph per side (<see cref="SharedSession"/>). Needs no TorchSharp.
/// </summary>
public sealed class OnnxRuntimeFamily(OnnxRuntimeOptions options) : ISplitModelFamily
{
    public const string BackendName = "onnx-runtime";

    public string Name => BackendName;

    /// <summary>Whatever family trained it; a level without an export of the side asked for fails with how to export it.</summary>
    public bool Loads(SplitModelManifest manifest) => true;

    public SplitLevel Load(SplitModelManifest manifest, RateLevelManifest level, BundleSide side, string weightsPath)
    {
        var directory = Path.GetDirectoryName(weightsPath) ?? ".";
        var manifestPath = Path.Combine(directory, SplitModelBundle.ManifestFile);
        var path = SplitModelBundle.VerifiedOnnx(directory, manifestPath, level, side);
        var entropy = EntropyModelFile.Read(weightsPath, manifest.Stream);
        if (LadderConfig.Of(manifest, manifestPath) is { } ladder)
        {
            entropy = entropy.AtRung(ladder, level.Level);
        }
        var part = side == BundleSide.Edge ? level.EdgeOnnx! : level.ServerOnnx!;
        var lease = SharedSession.Acquire(path, part.Sha256, options);
        try
        {
            return side == BundleSide.Edge
                ? new SplitLevel(level.Level, entropy, new OnnxEdgePart(lease.Value, lease, path, manifest.Input, manifest.Latent!), null)
                : new SplitLevel(level.Level, entropy, null, new OnnxServerPart(lease.Value, lease, path, manifest.Latent!, manifest.Output, manifest.Labels.Count, manifest.EmbeddingSize));
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }
}
