using SplitNet.Codec;
using SplitNet.Codec.Entropy;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Models.Text;
using SplitNet.Server.Inference;

namespace SplitNet.Server.Serving;

/// <summary>A split model served for latent frames: per rate level, its entropy model and server part.</summary>
internal sealed class ServedSplitModel : ServedModel
{
    private readonly SplitModel _model;

    public ServedSplitModel(SplitModel model)
    {
        _model = model;
        Levels = [.. model.Levels.Select(l => new ServedLevel(l.Level, l.Entropy, new InferenceTarget(this, l.Server!)))];
        Targets = [.. Levels.Select(l => l.Target)];
        Features = TextFeatureSplit.Serves(model) ? new ServedTextFeatures(this, model) { Directory = model.Directory } : null;
    }

    /// <summary>
    /// The same model for feature payloads (a text model's naive split and sentences), decoded under
    /// this model's lease; its targets are not warmed up with <see cref="Targets"/>.
    /// </summary>
    public ServedFeatureModel? Features { get; }

    public SplitModelManifest Manifest => _model.Manifest;
    public override string Id => _model.Id;
    public override int Version => _model.Version;
    public override IReadOnlyList<string> Labels => Manifest.Labels;
    public override OutputKind Output => Manifest.Output;
    public override int EmbeddingSize => Manifest.EmbeddingSize;
    public LatentShape Latent => _model.Latent;

    /// <summary>Frames at level k are the first k + 1 segments of the top level's (<see cref="SplitModel.IsEmbedded"/>).</summary>
    public bool IsEmbedded => _model.IsEmbedded;
    public IReadOnlyList<ServedLevel> Levels { get; }
    public override IReadOnlyList<InferenceTarget> Targets { get; }

    public override void Dispose() => _model.Dispose();
}

/// <summary>What decoding a latent at one rate level needs: its entropy model and its server part.</summary>
internal sealed record ServedLevel(int Level, EntropyModel Entropy, InferenceTarget Target);
