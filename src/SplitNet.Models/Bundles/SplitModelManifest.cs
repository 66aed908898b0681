using SplitNet.Codec.Entropy;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;

namespace SplitNet.Models.Bundles;

/// <summary>
/// The manifest shared by the edge and server bundles of an entropic split model: one Entropic
/// Student per rate level, each with its frozen CDF tables. The edge bundle holds the manifest
/// and every level's <see cref="RateLevelManifest.EdgeWeights"/>; the server bundle the manifest
/// and every level's <see cref="RateLevelManifest.ServerWeights"/>.
/// </summary>
public sealed record SplitModelManifest
{
    public const string CurrentFormat = "splitnet.split-model/1";

    public string Format { get; init; } = CurrentFormat;
    public required string ModelId { get; init; }
    public int Version { get; init; } = 1;
    public required string TeacherModelId { get; init; }
    public required TeacherConfig Teacher { get; init; }
    public required StudentConfig Architecture { get; init; }
    /// <summary>Stream format of every level's latent.</summary>
    public required LatentStream Stream { get; init; }
    public required IReadOnlyList<string> Labels { get; init; }
    /// <summary>Input normalisation: (pixel/255 − mean) / std.</summary>
    public required float[] Normalization { get; init; }
    /// <summary>The level an edge uses when none is asked for.</summary>
    public int DefaultLevel { get; init; }

    /// <summary>Rate levels, lowest rate first.</summary>
    public required IReadOnlyList<RateLevelManifest> Levels { get; init; }

    /// <summary>Early-exit heads of the edge bundle, by level; absent from server bundles.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<EarlyExitManifest>? EarlyExits { get; init; }
}

/// <summary>One rate level: its training β, table hash, weight files and measured score.</summary>
public sealed record RateLevelManifest(
    int Level,
    double Beta,
    string TablesSha256,
    string EdgeWeights,
    string EdgeSha256,
    string ServerWeights,
    string ServerSha256,
    RateLevelScore? Score);

/// <summary>What a level scored on the test set when it was exported.</summary>
public sealed record RateLevelScore(double Accuracy, double CodedBytes, double IdealBytes, int Images);
