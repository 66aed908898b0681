using SplitNet.Codec;
using SplitNet.Models.Split;
using SplitNet.Models.Text;
using SplitNet.Server.Inference;

namespace SplitNet.Server.Serving;

/// <summary>
/// A text split model for feature payloads, beside its latent levels: the naive split (hidden
/// states after any layer) and sentences, tokenized here, for the whole model. It shares the split
/// model's MiniLM, head, id and lease (<see cref="ServedSplitModel.Features"/>).
/// </summary>
internal sealed class ServedTextFeatures : ServedFeatureModel
{
    private readonly ServedSplitModel _split;

    public ServedTextFeatures(ServedSplitModel split, SplitModel model)
    {
        _split = split;
        int maxTokens = model.Latent.MaxLength;
        SplitPoints = TextFeatureSplit.Points(maxTokens);
        var tails = SplitPoints.Select(p => new InferenceTarget(split, TextFeatureSplit.Tail(model, p))).ToArray();
        Whole = new InferenceTarget(split, TextFeatureSplit.Whole(model));
        Targets = [.. tails, Whole];
        Tokenizer = new WordPieceTokenizer(MiniLmPackage.Locate().Vocabulary, maxTokens);
    }

    public override string Id => _split.Id;
    public override int Version => _split.Version;
    public override IReadOnlyList<string> Labels => _split.Labels;
    public override OutputKind Output => _split.Output;
    public override int EmbeddingSize => _split.EmbeddingSize;
    public override IReadOnlyList<InferenceTarget> Targets { get; }
    public override InferenceTarget Whole { get; }
    public override WordPieceTokenizer Tokenizer { get; }
    public override IReadOnlyList<FeatureSplitPoint> SplitPoints { get; }
    public override IReadOnlyList<CodecId> Codecs => [CodecId.Float16, CodecId.Affine8Lz4, CodecId.RawFloat32, CodecId.Utf8Text];
    public override string WeightsSha256 => MiniLmPackage.ModelSha256;

    // Everything it runs belongs to the split model.
    public override void Dispose()
    {
    }
}
