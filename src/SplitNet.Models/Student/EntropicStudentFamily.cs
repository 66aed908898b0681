using SplitNet.Codec;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using TorchSharp.PyBridge;

namespace SplitNet.Models.Student;

/// <summary>The Entropic Student of the Fashion-MNIST teacher as a split-model family.</summary>
public sealed class EntropicStudentFamily : ISplitModelFamily
{
    public const string FamilyName = SplitModelManifest.EntropicStudentFamily;

    public static EntropicStudentFamily Instance { get; } = new();

    public string Name => FamilyName;

    public SplitLevel Load(SplitModelManifest manifest, RateLevelManifest level, BundleSide side, string weightsPath)
    {
        var student = LoadStudent(manifest, side, weightsPath);
        var entropy = student.Bottleneck.Model(manifest.Stream);
        return side == BundleSide.Edge
            ? new SplitLevel(level.Level, entropy, new StudentEdgePart(student), null)
            : new SplitLevel(level.Level, entropy, null, new StudentServerPart(student, manifest.Labels.Count));
    }

    /// <summary>A student holding one side's weights of one level, in eval mode.</summary>
    public static EntropicStudent LoadStudent(SplitModelManifest manifest, BundleSide side, string weightsPath)
    {
        var (architecture, teacher) = (manifest.Architecture, manifest.Teacher) is ({ } a, { } t)
            ? (a, t)
            : throw new InvalidDataException($"{weightsPath}: the manifest of '{manifest.ModelId}' has no student architecture or teacher.");
        if (!SafetensorsHeader.ReadShapes(weightsPath).TryGetValue("entropy_bottleneck._quantized_cdf", out var tables))
        {
            throw new InvalidDataException($"{weightsPath}: no entropy_bottleneck._quantized_cdf tables.");
        }
        var student = new EntropicStudent(architecture, teacher);
        try
        {
            student.Bottleneck.PrepareTables(tables);
            (side == BundleSide.Edge ? student.EdgePart() : student.ServerPart()).load_safetensors(weightsPath, strict: true);
            student.eval();
            return student;
        }
        catch
        {
            student.Dispose();
            throw;
        }
    }
}
