using SplitNet.Codec;
using SplitNet.Models.Bundles;

namespace SplitNet.Models.Split;

/// <summary>
/// One side of a split model as loaded from its bundle: the manifest and, per rate level, the
/// entropy model and this side's part. Whatever the network, the edge and the server see only this.
/// </summary>
public sealed class SplitModel : IDisposable
{
    private SplitModel(SplitModelManifest manifest, BundleSide side, IReadOnlyList<SplitLevel> levels, string directory)
    {
        Manifest = manifest;
        Side = side;
        Levels = levels;
        Directory = directory;
    }

    public SplitModelManifest Manifest { get; }
    public BundleSide Side { get; }
    public IReadOnlyList<SplitLevel> Levels { get; }

    /// <summary>The bundle folder it was loaded from.</summary>
    public string Directory { get; }

    public string Id => Manifest.ModelId;
    public int Version => Manifest.Version;
    public LatentShape Latent => Manifest.Latent!;

    /// <summary>
    /// Whether the levels are one embedded stream: level k codes rung k of one ladder with the
    /// same tables, so a frame at level k is the first k + 1 segments of the frame at the top
    /// (<see cref="Codec.Entropy.EntropyModel.AtRung"/>), and may travel and be answered in segments.
    /// </summary>
    public bool IsEmbedded =>
        Levels.Count > 1 && Levels[0].Entropy.Ladder is { } ladder && ladder.Count == Levels.Count
        && Levels.All(l => l.Entropy.Rung == l.Level && l.Entropy.TablesSha256 == Levels[0].Entropy.TablesSha256 && l.Entropy.Ladder!.SequenceEqual(ladder));

    /// <summary>
    /// Loads one side of a split-model bundle with the family its manifest names. Every weight
    /// file's SHA-256 and every level's table hash are checked against the manifest, and every
    /// part against the manifest's latent shape and outputs; on any failure what was loaded is
    /// disposed and the error names the file.
    /// </summary>
    public static SplitModel Load(string directory, BundleSide side, IEnumerable<ISplitModelFamily> families)
    {
        var manifest = SplitModelBundle.ReadManifest(directory, out var manifestPath);
        var family = families.FirstOrDefault(f => f.Loads(manifest))
            ?? throw new InvalidDataException($"{manifestPath}: no loader for model family '{manifest.Family}'.");
        var levels = new List<SplitLevel>();
        try
        {
            foreach (var level in manifest.Levels)
            {
                var path = SplitModelBundle.VerifiedWeights(directory, manifestPath, level, side);
                var loaded = family.Load(manifest, level, side, path);
                levels.Add(loaded);
                Check(manifest, level, loaded, path, manifestPath);
            }
            return new SplitModel(manifest, side, levels, directory);
        }
        catch
        {
            levels.ForEach(l => l.Dispose());
            throw;
        }
    }

    private static void Check(SplitModelManifest manifest, RateLevelManifest declared, SplitLevel level, string path, string manifestPath)
    {
        if (level.Entropy.TablesSha256 != declared.TablesSha256)
        {
            throw new InvalidDataException($"{path}: CDF tables hash to {level.Entropy.TablesSha256}, not {declared.TablesSha256} as {manifestPath} declares.");
        }
        var shape = level.Edge?.Latent ?? level.Server?.Latent;
        if (shape != manifest.Latent || level.Entropy.Channels != manifest.Latent!.Channels)
        {
            throw new InvalidDataException($"{path}: its latent {shape} ({level.Entropy.Channels} tables) does not match {manifest.Latent} in {manifestPath}.");
        }
        if (level.Server is { } server && (server.Output != manifest.Output || (server.Output.HasFlag(OutputKind.Embedding) && server.EmbeddingSize != manifest.EmbeddingSize)
            || (server.Output.HasFlag(OutputKind.Probabilities) && server.Classes != manifest.Labels.Count)))
        {
            throw new InvalidDataException($"{path}: it answers {server.Output} ({server.Classes} classes, embedding {server.EmbeddingSize}), not what {manifestPath} declares.");
        }
    }

    public void Dispose()
    {
        foreach (var level in Levels)
        {
            level.Dispose();
        }
    }
}
