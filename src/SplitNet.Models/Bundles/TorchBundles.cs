using SplitNet.Models.Split;
using SplitNet.Models.Student;
using TorchSharp;
using TorchSharp.PyBridge;

namespace SplitNet.Models.Bundles;

/// <summary>One level's weights to bundle: the module each side ships and the table hash they share.</summary>
/// <param name="Edge">What the edge runs: encoder and entropy model.</param>
/// <param name="Server">What the server runs: entropy model, decoder and the deep layers.</param>
public sealed record SplitLevelWeights(torch.nn.Module Edge, torch.nn.Module Server, string TablesSha256, double Beta, RateLevelScore? Score);

/// <summary>
/// Writes the edge and server bundles of TorchSharp modules, and loads Entropic Student bundles
/// as whole students. Loading checks each weight file's SHA-256 and that the tables rebuilt from
/// it hash to the manifest's value, so a bundle can never code with tables other than the ones it
/// declares.
/// </summary>
public static class TorchBundles
{
    /// <summary>Writes both bundles of Entropic Students, one per level, lowest rate first.</summary>
    public static SplitModelManifest Save(
        IReadOnlyList<(EntropicStudent Student, double Beta, RateLevelScore? Score)> levels,
        SplitModelManifest template,
        string edgeDirectory,
        string serverDirectory) =>
        Save([.. levels.Select(l => new SplitLevelWeights(l.Student.EdgePart(), l.Student.ServerPart(), l.Student.Bottleneck.Table.Hash, l.Beta, l.Score))],
            template with { Latent = template.Latent ?? (template.Architecture is { } a ? a.Latent : null) },
            edgeDirectory, serverDirectory);

    /// <summary>
    /// Writes both bundles of a variable-rate student: one weights file a side, one level per rung
    /// of <paramref name="ladder"/> (each with the β it was trained at and its score), all sharing the tables.
    /// </summary>
    public static SplitModelManifest SaveLadder(EntropicStudent student, IReadOnlyList<int> ladder, IReadOnlyList<double> betas, IReadOnlyList<RateLevelScore?> scores,
        SplitModelManifest template, string edgeDirectory, string serverDirectory)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(scores.Count, ladder.Count);
        ArgumentOutOfRangeException.ThrowIfNotEqual(betas.Count, ladder.Count);
        Directory.CreateDirectory(edgeDirectory);
        Directory.CreateDirectory(serverDirectory);
        const string edge = "ladder.edge.safetensors", server = "ladder.server.safetensors";
        student.EdgePart().save_safetensors(Path.Combine(edgeDirectory, edge));
        student.ServerPart().save_safetensors(Path.Combine(serverDirectory, server));
        var (edgeSha, serverSha) = (BundleJson.Sha256(Path.Combine(edgeDirectory, edge)), BundleJson.Sha256(Path.Combine(serverDirectory, server)));
        var manifest = template with
        {
            Family = EntropicLadderFamily.FamilyName,
            Architecture = student.Config,
            Latent = student.Config.Latent,
            Config = System.Text.Json.JsonSerializer.SerializeToNode(new LadderConfig([.. ladder]), BundleJson.Options)!.AsObject(),
            Levels = [.. ladder.Select((_, k) => new RateLevelManifest(k, betas[k], student.Bottleneck.Table.Hash, edge, edgeSha, server, serverSha, scores[k]))],
        };
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(manifest.DefaultLevel, ladder.Count);
        BundleJson.Write(Path.Combine(edgeDirectory, SplitModelBundle.ManifestFile), manifest);
        BundleJson.Write(Path.Combine(serverDirectory, SplitModelBundle.ManifestFile), manifest);
        return manifest;
    }

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
        BundleJson.Write(Path.Combine(edgeDirectory, SplitModelBundle.ManifestFile), manifest);
        BundleJson.Write(Path.Combine(serverDirectory, SplitModelBundle.ManifestFile), manifest);
        return manifest;
    }

    /// <summary>
    /// Loads one side of an Entropic Student bundle as whole students (training, evaluation): a
    /// student per level with that side's weights and the level's tables.
    /// </summary>
    public static (SplitModelManifest Manifest, EntropicStudent[] Levels) Load(string directory, BundleSide side)
    {
        var manifest = SplitModelBundle.ReadManifest(directory, out var manifestPath);
        var students = new List<EntropicStudent>();
        try
        {
            foreach (var level in manifest.Levels)
            {
                students.Add(LoadLevel(directory, manifestPath, manifest, level, side));
            }
            return (manifest, [.. students]);
        }
        catch
        {
            students.ForEach(s => s.Dispose());
            throw;
        }
    }

    /// <summary>Loads the one student of a variable-rate bundle's side (every level shares it: <see cref="EntropicLadderFamily"/>).</summary>
    public static (SplitModelManifest Manifest, EntropicStudent Student) LoadLadder(string directory, BundleSide side)
    {
        var manifest = SplitModelBundle.ReadManifest(directory, out var manifestPath);
        return manifest.Family == EntropicLadderFamily.FamilyName
            ? (manifest, LoadLevel(directory, manifestPath, manifest, manifest.Levels[0], side))
            : throw new InvalidDataException($"{manifestPath}: family '{manifest.Family}' is not a variable-rate student ({EntropicLadderFamily.FamilyName}).");
    }

    private static EntropicStudent LoadLevel(string directory, string manifestPath, SplitModelManifest manifest, RateLevelManifest level, BundleSide side)
    {
        var student = EntropicStudentFamily.LoadStudent(manifest, side, SplitModelBundle.VerifiedWeights(directory, manifestPath, level, side));
        if (student.Bottleneck.Table.Hash != level.TablesSha256)
        {
            student.Dispose();
            throw new InvalidDataException($"{Path.Combine(directory, side == BundleSide.Edge ? level.EdgeWeights : level.ServerWeights)}: CDF tables hash to {student.Bottleneck.Table.Hash}, not {level.TablesSha256} as {manifestPath} declares.");
        }
        return student;
    }
}
