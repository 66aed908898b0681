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

    private static readonly Dictionary<(string Path, BundleSide Side, string Sha256), Shared> Loaded = [];

    public static EntropicLadderFamily Instance { get; } = new();

    public string Name => FamilyName;

    public SplitLevel Load(SplitModelManifest manifest, RateLevelManifest level, BundleSide side, string weightsPath)
    {
        var ladder = LadderConfig.Of(manifest, weightsPath)!;
        var shared = Acquire(manifest, (Path.GetFullPath(weightsPath), side, side == BundleSide.Edge ? level.EdgeSha256 : level.ServerSha256));
        var student = shared.Student;
        var entropy = student.Bottleneck.Model(manifest.Stream).AtRung(ladder, level.Level);
        return side == BundleSide.Edge
            ? new SplitLevel(level.Level, entropy, new StudentEdgePart(student, shared), null)
            : new SplitLevel(level.Level, entropy, null, new StudentServerPart(student, manifest.Labels.Count, shared));
    }

    // Keyed by content too: a file replaced in place for a reload is a new student, not the old one.
    private static Shared Acquire(SplitModelManifest manifest, (string Path, BundleSide Side, string Sha256) key)
    {
        lock (Loaded)
        {
            if (!Loaded.TryGetValue(key, out var shared))
            {
                shared = new Shared(EntropicStudentFamily.LoadStudent(manifest, key.Side, key.Path), key);
                Loaded.Add(key, shared);
            }
            shared.Leases++;
            return shared;
        }
    }

    /// <summary>One side's student, held by every level of every model loaded from its file; disposed with the last.</summary>
    private sealed class Shared(EntropicStudent student, (string, BundleSide, string) key) : IDisposable
    {
        public EntropicStudent Student { get; } = student;
        public int Leases { get; set; }

        public void Dispose()
        {
            lock (Loaded)
            {
                if (--Leases > 0)
                {
                    return;
                }
                Loaded.Remove(key);
            }
            Student.Dispose();
        }
    }
}
