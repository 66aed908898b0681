using SplitNet.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SplitNet.Models.Text;

/// <summary>
/// A BERT-family encoder whose layers can be run in any contiguous range, which is all a split
/// needs: the edge embeds and runs layers [0, k), the server runs [k, L) and pools. State-dict
/// keys are Hugging Face's (<c>embeddings.word_embeddings.weight</c>, <c>encoder.layer.3.output.dense.bias</c>, …).
/// </summary>
public sealed class BertModel : Module<Tensor, Tensor, Tensor>
{
    private readonly BertEmbeddings embeddings;
    private readonly ModuleList<BertLayer> layers;

    public BertModel(BertConfig config) : base(nameof(BertModel))
    {
        Config = config;
        embeddings = new BertEmbeddings(config);
        layers = new ModuleList<BertLayer>([.. Enumerable.Range(0, config.Layers).Select(_ => new BertLayer(config))]);
        register_module("embeddings", embeddings);
        register_module("encoder", new ModuleView(("layer", layers)));
    }

    public BertConfig Config { get; }
    internal BertEmbeddings Embeddings => embeddings;
    internal BertLayer Layer(int index) => layers[index];

    /// <summary>The last hidden state [B, S, hidden] of token ids [B, S] under a 0/1 attention mask [B, S].</summary>
    public override Tensor forward(Tensor ids, Tensor attentionMask) => Run(Embed(ids), attentionMask, 0, Config.Layers);

    /// <summary>The embedding layer's output [B, S, hidden].</summary>
    public Tensor Embed(Tensor ids) => embeddings.call(ids);

    /// <summary>Runs layers <paramref name="first"/> up to (not including) <paramref name="end"/> on hidden states.</summary>
    public Tensor Run(Tensor hidden, Tensor attentionMask, int first, int end)
    {
        if (first < 0 || end > Config.Layers || end < first)
        {
            throw new ArgumentOutOfRangeException(nameof(end), $"layers [{first}, {end}) are not a range of the {Config.Layers}");
        }
        using var scope = NewDisposeScope();
        var mask = AdditiveMask(attentionMask);
        var y = hidden;
        for (int i = first; i < end; i++)
        {
            y = layers[i].call(y, mask);
        }
        return (ReferenceEquals(y, hidden) ? hidden.alias() : y).MoveToOuterDisposeScope();
    }

    private static readonly Scalar MaskedOut = (-10000f).ToScalar();

    /// <summary>BERT's additive mask [B, 1, 1, S]: 0 where the 0/1 mask is 1, −10000 where it is 0.</summary>
    public static Tensor AdditiveMask(Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var m = attentionMask.to_type(ScalarType.Float32);
        return ones_like(m).sub(m).mul(MaskedOut).view(m.shape[0], 1, 1, m.shape[1]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Sentence embeddings [B, hidden] as sentence-transformers makes them: the attention-masked
    /// mean of the hidden states, then (by default) L2-normalised.
    /// </summary>
    public static Tensor MeanPool(Tensor hidden, Tensor attentionMask, bool normalize = true)
    {
        using var scope = NewDisposeScope();
        var m = attentionMask.to_type(ScalarType.Float32).unsqueeze(-1);
        var mean = (hidden * m).sum(1) / m.sum(1).clamp_min(1e-9);
        return (normalize ? functional.normalize(mean, p: 2, dim: 1) : mean).MoveToOuterDisposeScope();
    }

    /// <summary>The cosine of two embeddings (any scale).</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            (dot, aa, bb) = (dot + a[i] * b[i], aa + a[i] * a[i], bb + b[i] * b[i]);
        }
        return dot / Math.Sqrt(aa * bb);
    }

    /// <summary>The normalised sentence embedding of each tokenized sentence, one sentence per forward (no padding).</summary>
    public float[][] SentenceEmbeddings(IReadOnlyList<long[]> tokens)
    {
        var embeddings = new float[tokens.Count][];
        using var mode = inference_mode();
        for (int i = 0; i < tokens.Count; i++)
        {
            using var scope = NewDisposeScope();
            var mask = ones(1, tokens[i].Length);
            embeddings[i] = MeanPool(call(tensor(tokens[i], [1, tokens[i].Length]), mask), mask).data<float>().ToArray();
        }
        return embeddings;
    }
}
