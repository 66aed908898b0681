using SplitNet.Codec;
using SplitNet.Models.Split;
using SplitNet.OnnxRuntime;
using SplitNet.Server.Inference;

namespace SplitNet.Server.Serving;

/// <summary>An imported ONNX model served for feature payloads: one tail per cut, in ONNX Runtime.</summary>
internal sealed class ServedOnnxSplit : ServedFeatureModel
{
    private readonly OnnxSplitModel _model;

    public ServedOnnxSplit(OnnxSplitModel model)
    {
        _model = model;
        Targets = [.. model.Tails.Select(t => new InferenceTarget(this, t))];
        SplitPoints = model.SplitPoints;
    }

    public override string Id => _model.Manifest.ModelId;
    public override int Version => _model.Manifest.Version;
    public override IReadOnlyList<string> Labels => _model.Manifest.Labels;
    public override OutputKind Output => _model.Manifest.Output;
    public override int EmbeddingSize => Output.HasFlag(OutputKind.Embedding) ? _model.Manifest.OutputSize : 0;
    public override IReadOnlyList<InferenceTarget> Targets { get; }
    public override IReadOnlyList<FeatureSplitPoint> SplitPoints { get; }
    public override IReadOnlyList<CodecId> Codecs => [CodecId.Float16, CodecId.Affine8Lz4, CodecId.RawFloat32];
    public override string WeightsSha256 => _model.Manifest.Source.Sha256;

    public override void Dispose() => _model.Dispose();
}
