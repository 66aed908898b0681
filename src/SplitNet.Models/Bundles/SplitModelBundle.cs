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

/// <summary>
/// Writes and reads the edge and server bundles of an entropic split model. Loading checks each
/// weight file's SHA-256 and that the tables rebuilt from it hash to the manifest's value, so a
/// bundle can never code with tables other than the ones it declares.
/// </summary>
public static class SplitModelBundle
{
    public const string ManifestFile = "manifest.json";

    /// <summary>Where one side's bundle lives in a split-model folder: <c>edge/</c> or <c>server/</c>.</summary>
    public static string SideDirectory(string modelDirectory, BundleSide side) =>
        Path.Combine(modelDirectory, side == BundleSide.Edge ? "edge" : "server");

    /// <summary>Writes both bundles; <paramref name="levels"/> are (student, β, score) lowest rate first.</summary>
    public static SplitModelManifest Save(
        IReadOnlyList<(EntropicStudent Student, double Beta, RateLevelScore? Score)> levels,
        SplitModelManifest template,
        string edgeDirectory,
        string serverDirectory)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(template.DefaultLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(template.DefaultLevel, levels.Count);
        Directory.CreateDirectory(edgeDirectory);
        Directory.CreateDirectory(serverDirectory);
        var entries = new List<RateLevelManifest>();
        for (int level = 0; level < levels.Count; level++)
        {
            var (student, beta, score) = levels[level];
            string edge = $"level{level}.edge.safetensors", server = $"level{level}.server.safetensors";
            student.EdgePart().save_safetensors(Path.Combine(edgeDirectory, edge));
            student.ServerPart().save_safetensors(Path.Combine(serverDirectory, server));
            entries.Add(new RateLevelManifest(level, beta, student.Bottleneck.Table.Hash,
                edge, BundleJson.Sha256(Path.Combine(edgeDirectory, edge)),
                server, BundleJson.Sha256(Path.Combine(serverDirectory, server)), score));
        }
        var manifest = template with { Levels = entries };
        BundleJson.Write(Path.Combine(edgeDirectory, ManifestFile), manifest);
        BundleJson.Write(Path.Combine(serverDirectory, ManifestFile), manifest);
        return manifest;
    }

    /// <summary>Loads one side of a bundle: a student per level with that side's weights and the level's tables.</summary>
    public static (SplitModelManifest Manifest, EntropicStudent[] Levels) Load(string directory, BundleSide side)
    {
        var manifest = BundleJson.ReadManifest<SplitModelManifest>(directory, SplitModelManifest.CurrentFormat, m => m.Format, out var manifestPath);
        if (manifest.Levels.Count == 0)
        {
            throw new InvalidDataException($"{manifestPath}: no rate levels.");
        }
        if (manifest.DefaultLevel < 0 || manifest.DefaultLevel >= manifest.Levels.Count)
        {
            throw new InvalidDataException($"{manifestPath}: default_level {manifest.DefaultLevel} is not one of the {manifest.Levels.Count} levels.");
        }
        var students = new EntropicStudent[manifest.Levels.Count];
        for (int i = 0; i < students.Length; i++)
        {
            var level = manifest.Levels[i];
            if (level.Level != i)
            {
                throw new InvalidDataException($"{manifestPath}: levels must be numbered 0..{students.Length - 1} in order.");
            }
            var (file, hash) = side == BundleSide.Edge ? (level.EdgeWeights, level.EdgeSha256) : (level.ServerWeights, level.ServerSha256);
            var path = Path.Combine(directory, file);
            BundleJson.VerifySha256(path, hash, manifestPath);
            var student = new EntropicStudent(manifest.Architecture, manifest.Teacher);
            if (!SafetensorsHeader.ReadShapes(path).TryGetValue("entropy_bottleneck._quantized_cdf", out var tables))
            {
                throw new InvalidDataException($"{path}: no entropy_bottleneck._quantized_cdf tables.");
            }
            student.Bottleneck.PrepareTables(tables);
            (side == BundleSide.Edge ? student.EdgePart() : student.ServerPart()).load_safetensors(path, strict: true);
            if (student.Bottleneck.Table.Hash != level.TablesSha256)
            {
                throw new InvalidDataException($"{path}: CDF tables hash to {student.Bottleneck.Table.Hash}, not {level.TablesSha256} as {manifestPath} declares.");
            }
            student.eval();
            students[i] = student;
        }
        return (manifest, students);
    }
}
