using SplitNet.Codec.Entropy;
using SplitNet.Models.Bundles;
using SplitNet.Models.Student;
using SplitNet.Server.Inference;

namespace SplitNet.Server.Models;

/// <summary>An entropic split model served for latent frames: one decoder and tail per rate level.</summary>
internal sealed class ServedSplitModel : ServedModel
{
    private readonly EntropicStudent[] _students;

    public ServedSplitModel(SplitModelManifest manifest, EntropicStudent[] students)
    {
        Manifest = manifest;
        _students = students;
        Levels = [.. students.Select((s, i) => new ServedLevel(
            i,
            s.Bottleneck.Table,
            s.Bottleneck.Medians().data<float>().ToArray(),
            new StudentTail(this, s, manifest.Labels.Count)))];
        Targets = [.. Levels.Select(l => l.Tail)];
    }

    public SplitModelManifest Manifest { get; }
    public override string Id => Manifest.ModelId;
    public override int Version => Manifest.Version;
    public override IReadOnlyList<string> Labels => Manifest.Labels;
    public IReadOnlyList<ServedLevel> Levels { get; }
    public override IReadOnlyList<IInferenceTarget> Targets { get; }

    /// <summary>Symbols per image: channels × latent height × width.</summary>
    public int LatentSize => Manifest.Architecture.LatentChannels * StudentConfig.LatentSize * StudentConfig.LatentSize;

    public override void Dispose()
    {
        foreach (var student in _students)
        {
            student.Dispose();
        }
    }
}

/// <summary>What decoding a latent at one rate level needs: its tables, medians and tail.</summary>
internal sealed record ServedLevel(int Level, CdfTable Table, float[] Medians, StudentTail Tail);
