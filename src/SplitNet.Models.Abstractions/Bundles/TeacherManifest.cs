using SplitNet.Models.Teacher;

namespace SplitNet.Models.Bundles;

/// <summary>The JSON manifest beside a teacher's safetensors weights.</summary>
public sealed record TeacherManifest
{
    public const string CurrentFormat = "splitnet.teacher/1";

    public string Format { get; init; } = CurrentFormat;
    public required string ModelId { get; init; }
    public int Version { get; init; } = 1;
    public required TeacherConfig Architecture { get; init; }
    public required IReadOnlyList<string> Labels { get; init; }
    /// <summary>Input normalisation: (pixel/255 − mean) / std.</summary>
    public required float[] Normalization { get; init; }
    public string Weights { get; init; } = "weights.safetensors";
    public required string WeightsSha256 { get; init; }
    public TrainingSummary? Training { get; init; }
}

/// <summary>How the shipped weights were produced, and what they scored.</summary>
public sealed record TrainingSummary(
    int Seed,
    int Epochs,
    double Seconds,
    double TestAccuracy,
    int TestImages,
    string Command);
