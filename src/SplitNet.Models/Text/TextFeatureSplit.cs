using SplitNet.Codec;
using SplitNet.Models.Split;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SplitNet.Models.Text;

/// <summary>
/// The baselines a text split is measured against, on the same all-MiniLM-L6-v2 and category head
/// as a text split model's server: the naive split (the hidden state after k layers, (384, tokens)
/// channel-major, sent with a feature codec such as float16) and the server-only deployment (the
/// sentence itself, tokenized by the server, run through the whole model).
/// </summary>
public static class TextFeatureSplit
{
    /// <summary>The hidden state after 0 (the embeddings) to 5 layers: split point k is the input of layer k.</summary>
    public static IReadOnlyList<FeatureSplitPoint> Points(int maxTokens) =>
        [.. Enumerable.Range(0, BertConfig.MiniLmL6.Layers).Select(k =>
            new FeatureSplitPoint((byte)k, k == 0 ? "embeddings" : $"layer{k}", new LatentShape([BertConfig.MiniLmL6.Hidden, maxTokens], variableAxis: 1)))];

    /// <summary>The token ids, one channel, as the whole model's input; payloads at this point are sentences (<see cref="CodecId.Utf8Text"/>).</summary>
    public static FeatureSplitPoint Input(int maxTokens) => new(FeatureSplitPoint.InputId, "input", new LatentShape([1, maxTokens], variableAxis: 1));

    /// <summary>The edge side of the naive split at <paramref name="point"/>: embeddings and layers [0, k) on the device.</summary>
    public static IFeatureEdgePart Head(string modelId, FeatureSplitPoint point) => new TextFeatureHead(TextSplitFamily.MiniLm.Value, modelId, point);

    /// <summary>Layers [k, 6), pooling and the head of <paramref name="server"/> (a loaded text split model's server side).</summary>
    public static IServerPart Tail(SplitModel server, FeatureSplitPoint point) => new TextFeatureTail(Part(server), point.Id, point.Feature);

    /// <summary>The whole model on token ids, with the head of <paramref name="server"/>.</summary>
    public static IServerPart Whole(SplitModel server) => new TextFeatureTail(Part(server), null, Input(server.Latent.MaxLength).Feature);

    /// <summary>True for the server side of a text split model, which <see cref="Tail"/> and <see cref="Whole"/> take.</summary>
    public static bool Serves(SplitModel server) => server.Levels.Count > 0 && server.Levels[0].Server is TextServerPart;

    private static TextServerPart Part(SplitModel server) =>
        Serves(server) ? (TextServerPart)server.Levels[0].Server! : throw new ArgumentException($"'{server.Id}' is not the server side of a text split model.", nameof(server));
}

/// <summary>Token ids → the hidden state after k layers, transposed to (384, tokens).</summary>
internal sealed class TextFeatureHead(BertModel bert, string modelId, FeatureSplitPoint point) : IFeatureEdgePart
{
    public string ModelId { get; } = modelId;
    public FeatureSplitPoint Point { get; } = point;

    public TensorShape ShapeOf(SplitInput input) => new(Point.Feature.Resolve(input.Tokens.Length));

    public float[] Features(SplitInput input)
    {
        input.Expect(InputKind.Tokens);
        if (!Point.Feature.TryResolve(input.Tokens.Length, out int length, out var problem))
        {
            throw new ArgumentException(problem, nameof(input));
        }
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var ids = tensor(input.Tokens.ToArray().Select(t => (long)t).ToArray(), [1, length]);
        var hidden = bert.Run(bert.Embed(ids), ones(1, length), 0, Point.Id);
        return hidden[0].t().contiguous().data<float>().ToArray();
    }
}

/// <summary>
/// (B, 384, P) hidden states from layer <c>cut</c> on, or (B, 1, P) token ids for the whole model
/// (<c>cut</c> null), to the sentence embedding and the head's softmax, under the padding mask.
/// </summary>
internal sealed class TextFeatureTail(TextServerPart split, int? cut, LatentShape latent) : IServerPart
{
    public LatentShape Latent { get; } = latent;
    public OutputKind Output => split.Output;
    public int Classes => split.Classes;
    public int EmbeddingSize => split.EmbeddingSize;

    public SplitOutput Run(ReadOnlySpan<float> yHat, ReadOnlySpan<int> lengths, int paddedLength)
    {
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var bert = split.Bert;
        int n = lengths.Length;
        var mask = (arange(paddedLength).unsqueeze(0) < tensor(lengths.ToArray()).unsqueeze(1)).to(ScalarType.Float32);
        var x = tensor(yHat[..(n * Latent.Channels * paddedLength)].ToArray(), [n, Latent.Channels, paddedLength]);
        var hidden = cut is { } k
            ? bert.Run(x.permute(0, 2, 1).contiguous(), mask, k, bert.Config.Layers)
            : bert.Run(bert.Embed(x.select(1, 0).to(ScalarType.Int64)), mask, 0, bert.Config.Layers);
        var embedding = BertModel.MeanPool(hidden, mask);
        return new SplitOutput(split.Head is null ? null : split.Probabilities(embedding).data<float>().ToArray(), embedding.data<float>().ToArray());
    }

    // MiniLM and the head belong to the text split model.
    public void Dispose()
    {
    }
}
