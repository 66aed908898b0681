using SplitNet.Codec.Entropy;
using SplitNet.Models.Split;
using SplitNet.Models.Student;

namespace SplitNet.Models.Bundles;

/// <summary>One rate level of an Entropic Student split model as whole TorchSharp students.</summary>
/// <param name="Level">The level's number in the manifest.</param>
/// <param name="Edge">The student with the edge bundle's weights (encoder, entropy model).</param>
/// <param name="Server">The student with the server bundle's weights (entropy model, decoder, tail).</param>
/// <param name="Ladder">For a variable-rate model, its rungs (the level is rung <paramref name="Level"/>); null otherwise.</param>
public sealed record TorchLevel(int Level, EntropicStudent Edge, EntropicStudent Server, IReadOnlyList<int>? Ladder)
{
    /// <summary>The entropy model this level's frames are coded with: at its rung for a variable-rate model.</summary>
    public EntropyModel Entropy(EntropicStudent side, LatentStream format)
    {
        var model = side.Bottleneck.Model(format);
        return Ladder is null ? model : model.AtRung(Ladder, Level);
    }
}

/// <summary>
/// Both bundles of an Entropic Student split model loaded as TorchSharp students, level by level
/// (benchmarks, tests): a student per level and side, or for a variable-rate model one per side
/// shared by every level. Disposing frees them.
/// </summary>
public sealed class TorchSplitModel : IDisposable
{
    private readonly EntropicStudent[] _students;

    private TorchSplitModel(SplitModelManifest manifest, IReadOnlyList<TorchLevel> levels, EntropicStudent[] students) =>
        (Manifest, Levels, _students) = (manifest, levels, students);

    public SplitModelManifest Manifest { get; }

    public IReadOnlyList<TorchLevel> Levels { get; }

    /// <summary>Whether every level is a rung of one variable-rate student.</summary>
    public bool IsLadder => Levels[0].Ladder is not null;

    /// <summary>Loads the edge and server bundles of the split model in <paramref name="modelDirectory"/> (<c>edge/</c>, <c>server/</c>).</summary>
    public static TorchSplitModel Load(string modelDirectory)
    {
        var (edgeDirectory, serverDirectory) = (SplitModelBundle.SideDirectory(modelDirectory, BundleSide.Edge), SplitModelBundle.SideDirectory(modelDirectory, BundleSide.Server));
        var edgeManifest = SplitModelBundle.ReadManifest(edgeDirectory, out var manifestPath);
        if (LadderConfig.Of(edgeManifest, manifestPath) is { } ladder)
        {
            var (manifest, edge) = TorchBundles.LoadLadder(edgeDirectory, BundleSide.Edge);
            try
            {
                var (_, server) = TorchBundles.LoadLadder(serverDirectory, BundleSide.Server);
                return new(manifest, [.. manifest.Levels.Select(l => new TorchLevel(l.Level, edge, server, ladder))], [edge, server]);
            }
            catch
            {
                edge.Dispose();
                throw;
            }
        }
        var (levels, edges) = TorchBundles.Load(edgeDirectory, BundleSide.Edge);
        try
        {
            var (_, servers) = TorchBundles.Load(serverDirectory, BundleSide.Server);
            return new(levels, [.. levels.Levels.Select((l, k) => new TorchLevel(l.Level, edges[k], servers[k], null))], [.. edges, .. servers]);
        }
        catch
        {
            Array.ForEach(edges, e => e.Dispose());
            throw;
        }
    }

    public void Dispose() => Array.ForEach(_students, s => s.Dispose());
}
