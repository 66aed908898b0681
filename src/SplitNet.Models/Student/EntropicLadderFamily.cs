using SplitNet.Codec;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;

namespace SplitNet.Models.Student;

/// <summary>
/// One Entropic Student trained for every rung of a channel ladder, as a split-model family: each
/// rate level is a rung, and every level shares the one student of each side (one weights file,
/// loaded once). A level's frames are the prefix of the frame's embedded stream that carries the
/// rung's leading channels (<see cref="EntropyModel.AtRung"/>); the server's decoder sees zeros
/// for the rest, as it was trained to.
/// </summary>
public sealed class EntropicLadderFamily : ISplitModelFamily
{
    public const string FamilyName = LadderConfig.Family;

    // Keyed by content too: a file replaced in place for a reload is a new student, not the old one.
    private static readonly LeaseCache<(string Path, BundleSide Side, string Sha256), EntropicStudent> Loaded = new();

    public static EntropicLadderFamily Instance { get; } = new();

    public string Name => FamilyName;

    public SplitLevel Load(SplitModelManifest manifest, RateLevelManifest level, BundleSide side, string weightsPath)
    {
        var ladder = LadderConfig.Of(manifest, weightsPath)!;
        var key = (Path.GetFullPath(weightsPath), side, side == BundleSide.Edge ? level.EdgeSha256 : level.ServerSha256);
        var shared = Loaded.Acquire(key, k => EntropicStudentFamily.LoadStudent(manifest, k.Side, k.Path));
        try
        {
            var student = shared.Value;
            var entropy = student.Bottleneck.Model(manifest.Stream).AtRung(ladder, level.Level);
            return side == BundleSide.Edge
                ? new SplitLevel(level.Level, entropy, new StudentEdgePart(student, shared), null)
                : new SplitLevel(level.Level, entropy, null, new StudentServerPart(student, manifest.Labels.Count, shared));
        }
        catch
        {
            shared.Dispose();
            throw;
        }
    }
}
