using SplitNet.Models.Split;
using SplitNet.Models.Student;
using TorchSharp;
using TorchSharp.PyBridge;

namespace SplitNet.Models.Bundles;

/// <summary>Which side of a split model a bundle is for.</summary>
public enum BundleSide
{
    Edge,
    Server,
}

/// <summary>One level's weights to bundle: the module each side ships and the table hash they share.</summary>
/// <param name="Edge">What the edge runs: encoder and entropy model.</param>
/// <param name="Server">What the server runs: entropy model, decoder and the deep layers.</param>
public sealed record SplitLevelWeights(torch.nn.Module Edge, torch.nn.Module Server, string TablesSha256, double Beta, RateLevelScore? Score);

/// <summary>
/// Writes and reads the edge and server bundles of a split model. Loading checks each weight
/// file's SHA-256 and that the tables rebuilt from it hash to the manifest's value, so a bundle
/// can never code with tables other than the ones it declares.
/// </summary>
public static class SplitModelBundle
{
    public const string ManifestFile = "manifest.json";

    /// <summary>Where one side's bundle lives in a split-model folder: <c>edge/</c> or <c>server/</c>.</summary>
    public static string SideDirectory(string modelDirectory, BundleSide side) =>
        Path.Combine(modelDirectory, side == BundleSide.Edge ? "edge" : "server");

    /// <summary>Writes both bundles of Entropic Students, one per level, lowest rate first.</summary>
    public static SplitModelManifest Save(
        IReadOnlyList<(EntropicStudent Student, double Beta, RateLevelScore? Score)> levels,
        SplitModelManifest template,
        string edgeDirectory,
        string serverDirectory) =>
        Save([.. levels.Select(l => new SplitLevelWeights(l.Student.EdgePart(), l.Student.ServerPart(), l.Student.Bottleneck.Table.Hash, l.Beta, l.Score))],
            template with { Latent = template.Latent ?? (template.Architecture is { } a ? EntropicStudentFamily.LatentOf(a) : null) },
            edgeDirectory, serverDirectory);

    /// <summary>Writes both bundles of any family's levels, lowest rate first.</summary>
    public static SplitModelManifest Save(IReadOnlyList<SplitLevelWeights> levels, SplitModelManifest template, string edgeDirectory, string serverDirectory)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(template.DefaultLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(template.DefaultLevel, levels.Count);
        ArgumentNullException.ThrowIfNull(template.Latent);
        Directory.CreateDirectory(edgeDirectory);
        Directory.CreateDirectory(serverDirectory);
        var entries = new List<RateLevelManifest>();
        for (int level = 0; level < levels.Count; level++)
        {
            var weights = levels[level];
            string edge = $"level{level}.edge.safetensors", server = $"level{level}.server.safetensors";
            weights.Edge.save_safetensors(Path.Combine(edgeDirectory, edge));
            weights.Server.save_safetensors(Path.Combine(serverDirectory, server));
            entries.Add(new RateLevelManifest(level, weights.Beta, weights.TablesSha256,
                edge, BundleJson.Sha256(Path.Combine(edgeDirectory, edge)),
                server, BundleJson.Sha256(Path.Combine(serverDirectory, server)), weights.Score));
        }
        var manifest = template with { Levels = entries };
        BundleJson.Write(Path.Combine(edgeDirectory, ManifestFile), manifest);
        BundleJson.Write(Path.Combine(serverDirectory, ManifestFile), manifest);
        return manifest;
    }

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
            manifest = manifest.Family == EntropicStudentFamily.FamilyName && manifest.Architecture is { } architecture
                ? manifest with { Latent = EntropicStudentFamily.LatentOf(architecture) }
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
    /// Loads one side of an Entropic Student bundle as whole students (training, evaluation): a
    /// student per level with that side's weights and the level's tables.
    /// </summary>
    public static (SplitModelManifest Manifest, EntropicStudent[] Levels) Load(string directory, BundleSide side)
    {
        var manifest = ReadManifest(directory, out var manifestPath);
        var students = new List<EntropicStudent>();
        try
        {
            foreach (var level in manifest.Levels)
            {
                var student = EntropicStudentFamily.LoadStudent(manifest, side, VerifiedWeights(directory, manifestPath, level, side));
                students.Add(student);
                if (student.Bottleneck.Table.Hash != level.TablesSha256)
                {
                    throw new InvalidDataException($"{Path.Combine(directory, side == BundleSide.Edge ? level.EdgeWeights : level.ServerWeights)}: CDF tables hash to {student.Bottleneck.Table.Hash}, not {level.TablesSha256} as {manifestPath} declares.");
                }
            }
            return (manifest, [.. students]);
        }
        catch
        {
            students.ForEach(s => s.Dispose());
            throw;
        }
    }
}
