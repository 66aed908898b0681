using SplitNet.Codec;
using SplitNet.Models.Bundles;
using SplitNet.Models.Teacher;
using SplitNet.Server.Inference;

namespace SplitNet.Server.Models;

/// <summary>A teacher served for feature payloads: it can continue from any stage boundary before its head.</summary>
internal sealed class ServedTeacher : ServedModel
{
    private readonly TeacherNet _network;
    private readonly TeacherTail[] _tails;

    public ServedTeacher(TeacherNet network, TeacherManifest manifest)
    {
        _network = network;
        Manifest = manifest;
        _tails = [.. Enumerable.Range(0, (int)TeacherStage.Head).Select(s => new TeacherTail(this, network, (TeacherStage)s, manifest.Labels.Count))];
    }

    public TeacherManifest Manifest { get; }
    public override string Id => Manifest.ModelId;
    public override int Version => Manifest.Version;
    public override IReadOnlyList<string> Labels => Manifest.Labels;
    public override IReadOnlyList<IInferenceTarget> Targets => _tails;

    /// <summary>The feature shape expected after <paramref name="split"/>, or null if the model cannot be cut there.</summary>
    public TensorShape? FeatureShape(byte split) =>
        split < (byte)TeacherStage.Head ? new TensorShape(Manifest.Architecture.FeatureShape((TeacherStage)split)) : null;

    /// <summary>The deep layers after <paramref name="split"/>.</summary>
    public TeacherTail Tail(byte split) => _tails[split];

    public override void Dispose() => _network.Dispose();
}
