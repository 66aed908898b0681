using System.Text.Json;
using System.Text.Json.Nodes;
using SplitNet.Codec;
using SplitNet.Codec.Entropy;
using SplitNet.Models.Split;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;

namespace SplitNet.Models.Bundles;

/// <summary>
/// The manifest shared by the edge and server bundles of a split model: what the parts read and
/// answer, the latent's shape rule, and per rate level the entropy model's table hash and each
/// side's weights. The edge bundle holds the manifest and every level's
/// <see cref="RateLevelManifest.EdgeWeights"/>; the server bundle every level's
/// <see cref="RateLevelManifest.ServerWeights"/>.
/// </summary>
public sealed record SplitModelManifest
{
    public const string CurrentFormat = "splitnet.split-model/1";

    /// <summary>The family of manifests that name none: the Entropic Student of the Fashion-MNIST teacher.</summary>
    public const string EntropicStudentFamily = "entropic-student";

    public string Format { get; init; } = CurrentFormat;
    public required string ModelId { get; init; }
    public int Version { get; init; } = 1;

    /// <summary>Which <see cref="ISplitModelFamily"/> builds the parts.</summary>
    public string Family { get; init; } = EntropicStudentFamily;

    /// <summary>What the edge part reads.</summary>
    public InputKind Input { get; init; } = InputKind.Image;

    /// <summary>The latent's shape rule (fixed, or variable along axis 1); every level shares it.</summary>
    public LatentShape? Latent { get; init; }

    /// <summary>What the server part answers with.</summary>
    public OutputKind Output { get; init; } = OutputKind.Probabilities;

    /// <summary>Size of the embedding output (0 without one).</summary>
    public int EmbeddingSize { get; init; }

    /// <summary>Stream format of every level's latent.</summary>
    public required LatentStream Stream { get; init; }

    /// <summary>Class names in class-id order (empty without a probabilities output).</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>The level an edge uses when none is asked for.</summary>
    public int DefaultLevel { get; init; }

    /// <summary>Rate levels, lowest rate first.</summary>
    public required IReadOnlyList<RateLevelManifest> Levels { get; init; }

    /// <summary>Entropic Student family: the teacher it was distilled from.</summary>
    public string? TeacherModelId { get; init; }

    /// <summary>Entropic Student family: the teacher's architecture (its tail is the server part).</summary>
    public TeacherConfig? Teacher { get; init; }

    /// <summary>Entropic Student family: the student's architecture.</summary>
    public StudentConfig? Architecture { get; init; }

    /// <summary>Image input: normalisation (pixel/255 − mean) / std.</summary>
    public float[]? Normalization { get; init; }

    /// <summary>Settings of a family of its own, read with <see cref="ReadConfig{T}"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public JsonObject? Config { get; init; }

    /// <summary>Early-exit heads of the edge bundle, by level; absent from server bundles.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<EarlyExitManifest>? EarlyExits { get; init; }

    /// <summary>A family's own settings from <see cref="Config"/>, with the manifests' JSON conventions.</summary>
    public T ReadConfig<T>() =>
        Config is null ? throw new InvalidDataException($"model '{ModelId}' has no config for family '{Family}'.")
        : Config.Deserialize<T>(BundleJson.Options) ?? throw new InvalidDataException($"model '{ModelId}': empty config.");
}

/// <summary>One rate level: its training β, table hash, weight files, ONNX exports and measured score.</summary>
public sealed record RateLevelManifest(
    int Level,
    double Beta,
    string TablesSha256,
    string EdgeWeights,
    string EdgeSha256,
    string ServerWeights,
    string ServerSha256,
    RateLevelScore? Score)
{
    /// <summary>ONNX export of the edge part (input → integer symbols), for the ONNX Runtime backend; null until exported.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public OnnxPartFile? EdgeOnnx { get; init; }

    /// <summary>ONNX export of the server part (ŷ → outputs), for the ONNX Runtime backend; null until exported.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public OnnxPartFile? ServerOnnx { get; init; }
}

/// <summary>An exported part: the ONNX file beside the manifest and its SHA-256.</summary>
public sealed record OnnxPartFile(string File, string Sha256);

/// <summary>What a level scored on the test set when it was exported.</summary>
public sealed record RateLevelScore(double Accuracy, double CodedBytes, double IdealBytes, int Images);
