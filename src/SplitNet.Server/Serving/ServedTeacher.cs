using SplitNet.Codec;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Models.Teacher;
using SplitNet.Server.Inference;

namespace SplitNet.Server.Serving;

/// <summary>A teacher served for feature payloads: it can continue from any of its split points.</summary>
internal sealed class ServedTeacher : ServedFeatureModel
{
    private readonly TeacherNet _network;
    private readonly InferenceTarget[] _tails, _targets;

    public ServedTeacher(TeacherNet network, TeacherManifest manifest)
    {
        _network = network;
        Manifest = manifest;
        SplitPoints = FeatureSplit.Points(manifest.Architecture);
        _tails = [.. SplitPoints.Select(p => new InferenceTarget(this, FeatureSplit.Tail(network, p, manifest.Labels.Count)))];
        Whole = new InferenceTarget(this, FeatureSplit.Whole(network, manifest.Labels.Count));
        _targets = [.. _tails, Whole];
    }

    public TeacherManifest Manifest { get; }
    public override string Id => Manifest.ModelId;
    public override int Version => Manifest.Version;
    public override IReadOnlyList<string> Labels => Manifest.Labels;
    public override OutputKind Output => OutputKind.Probabilities;
    public override IReadOnlyList<InferenceTarget> Targets => _targets;
    public override InferenceTarget Whole { get; }

    public override IReadOnlyList<FeatureSplitPoint> SplitPoints { get; }
    public override IReadOnlyList<CodecId> Codecs => [CodecId.RawFloat32, CodecId.Affine8Lz4, CodecId.Float16, CodecId.Png, CodecId.WebpLossless];
    public override string WeightsSha256 => Manifest.WeightsSha256;

    public override void Dispose() => _network.Dispose();
}
