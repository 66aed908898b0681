using SplitNet.Models.Split;

namespace SplitNet.Models.Bundles;

/// <summary>Which side of a split model a bundle is for.</summary>
public enum BundleSide
{
    Edge,
    Server,
}

/// <summary>
/// Reads the edge and server bundles of a split model: manifests, and the files they name after
/// checking each one's SHA-256.
/// </summary>
public static class SplitModelBundle
{
    public const string ManifestFile = "manifest.json";

    /// <summary>Where one side's bundle lives in a split-model folder: <c>edge/</c> or <c>server/</c>.</summary>
    public static string SideDirectory(string modelDirectory, BundleSide side) =>
        Path.Combine(modelDirectory, side == BundleSide.Edge ? "edge" : "server");

    /// <summary>
    /// Reads and checks a bundle's manifest: at least one level, numbered in order, a valid default
    /// level and a latent shape (an Entropic Student manifest written before shapes were recorded
    /// gets its student's). Errors name the file.
    /// </summary>
    public static SplitModelManifest ReadManifest(string directory, out string manifestPath)
    {
        var manifest = BundleJson.ReadManifest<SplitModelManifest>(directory, SplitModelManifest.CurrentFormat, m => m.Format, out manifestPath);
        string? problem =
            manifest.Levels.Count == 0 ? "no rate levels"
            : manifest.DefaultLevel < 0 || manifest.DefaultLevel >= manifest.Levels.Count ? $"default_level {manifest.DefaultLevel} is not one of the {manifest.Levels.Count} levels"
            : manifest.Levels.Where((l, i) => l.Level != i).Any() ? $"levels must be numbered 0..{manifest.Levels.Count - 1} in order"
            : null;
        if (problem is not null)
        {
            throw new InvalidDataException($"{manifestPath}: {problem}.");
        }
        if (manifest.Latent is null)
        {
            manifest = manifest.Family == SplitModelManifest.EntropicStudentFamily && manifest.Architecture is { } architecture
                ? manifest with { Latent = architecture.Latent }
                : throw new InvalidDataException($"{manifestPath}: no latent shape.");
        }
        return manifest;
    }

    /// <summary>The path of one side's weights of <paramref name="level"/>, after checking its SHA-256.</summary>
    public static string VerifiedWeights(string directory, string manifestPath, RateLevelManifest level, BundleSide side)
    {
        var (file, hash) = side == BundleSide.Edge ? (level.EdgeWeights, level.EdgeSha256) : (level.ServerWeights, level.ServerSha256);
        var path = Path.Combine(directory, file);
        BundleJson.VerifySha256(path, hash, manifestPath);
        return path;
    }

    /// <summary>
    /// The path of one side's ONNX export of <paramref name="level"/>, after checking its SHA-256;
    /// a level that was never exported gets an error that says how to export it.
    /// </summary>
    public static string VerifiedOnnx(string directory, string manifestPath, RateLevelManifest level, BundleSide side)
    {
        var part = (side == BundleSide.Edge ? level.EdgeOnnx : level.ServerOnnx)
            ?? throw new InvalidDataException($"{manifestPath}: level {level.Level} has no ONNX export of its {side.ToString().ToLowerInvariant()} part; run `splitnet export onnx --model <folder holding edge/ and server/>` first.");
        var path = Path.Combine(directory, part.File);
        BundleJson.VerifySha256(path, part.Sha256, manifestPath);
        return path;
    }
}
