using SplitNet.Models.Student;
using TorchSharp.PyBridge;

namespace SplitNet.Models.Bundles;


/// <summary>Adds early-exit heads to an edge bundle and loads them back.</summary>
public static class EarlyExitBundle
{
    /// <summary>Writes <paramref name="head"/> for <paramref name="level"/> into the edge bundle and records it in its manifest.</summary>
    public static SplitModelManifest Save(string edgeDirectory, int level, EarlyExitHead head, double accuracy) =>
        Save(edgeDirectory, [level], $"level{level}.exit.safetensors", head, accuracy);

    /// <summary>
    /// Writes one <paramref name="head"/> for all of <paramref name="levels"/> (a variable-rate
    /// model's levels share the edge's whole latent) and records it for each.
    /// </summary>
    public static SplitModelManifest Save(string edgeDirectory, IReadOnlyList<int> levels, string file, EarlyExitHead head, double accuracy)
    {
        var manifest = BundleJson.ReadManifest<SplitModelManifest>(edgeDirectory, SplitModelManifest.CurrentFormat, m => m.Format, out var manifestPath);
        head.save_safetensors(Path.Combine(edgeDirectory, file));
        var sha256 = BundleJson.Sha256(Path.Combine(edgeDirectory, file));
        var entries = levels.Select(level => new EarlyExitManifest(level, file, sha256, accuracy));
        manifest = manifest with { EarlyExits = [.. (manifest.EarlyExits ?? []).Where(e => !levels.Contains(e.Level)).Concat(entries).OrderBy(e => e.Level)] };
        BundleJson.Write(manifestPath, manifest);
        return manifest;
    }

    /// <summary>The heads of an edge bundle by rate level (null where a level has none).</summary>
    public static EarlyExitHead?[] Load(string edgeDirectory, SplitModelManifest manifest)
    {
        var heads = new EarlyExitHead?[manifest.Levels.Count];
        var manifestPath = Path.Combine(edgeDirectory, SplitModelBundle.ManifestFile);
        foreach (var exit in manifest.EarlyExits ?? [])
        {
            if (exit.Level < 0 || exit.Level >= heads.Length)
            {
                throw new InvalidDataException($"{manifestPath}: early exit for level {exit.Level}, which the model does not have.");
            }
            var path = Path.Combine(edgeDirectory, exit.Weights);
            BundleJson.VerifySha256(path, exit.Sha256, manifestPath);
            var channels = manifest.Latent?.Channels ?? manifest.Architecture?.LatentChannels
                ?? throw new InvalidDataException($"{manifestPath}: no latent shape for the early exits.");
            var head = new EarlyExitHead(channels, manifest.Labels.Count);
            head.load_safetensors(path, strict: true);
            head.eval();
            heads[exit.Level] = head;
        }
        return heads;
    }
}
