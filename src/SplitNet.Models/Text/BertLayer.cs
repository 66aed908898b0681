using SplitNet.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SplitNet.Models.Text;

/// <summary>
/// One post-norm transformer layer as in BERT: multi-head self-attention with an additive mask,
/// residual + LayerNorm, then a GELU (erf) feed-forward, residual + LayerNorm.
/// </summary>
internal sealed class BertLayer : Module<Tensor, Tensor, Tensor>
{
    private readonly Linear query, key, value, attentionOut, intermediate, output;
    private readonly LayerNorm attentionNorm, outputNorm;
    private readonly int hidden, heads, headSize;
    // Held for the layer's life: a Scalar made per call can be finalized during the native call.
    private readonly Scalar _sqrtHeadSize;

    public BertLayer(BertConfig config) : base("layer")
    {
        (hidden, heads, headSize) = (config.Hidden, config.Heads, config.HeadSize);
        _sqrtHeadSize = Math.Sqrt(headSize).ToScalar();
        query = Linear(hidden, hidden);
        key = Linear(hidden, hidden);
        value = Linear(hidden, hidden);
        attentionOut = Linear(hidden, hidden);
        attentionNorm = LayerNorm(hidden, config.LayerNormEps);
        intermediate = Linear(hidden, config.Intermediate);
        output = Linear(config.Intermediate, hidden);
        outputNorm = LayerNorm(hidden, config.LayerNormEps);
        // Hugging Face's names: attention.self.{query,key,value}, attention.output.{dense,LayerNorm},
        // intermediate.dense, output.{dense,LayerNorm}.
        register_module("attention", new ModuleView(
            ("self", new ModuleView(("query", query), ("key", key), ("value", value))),
            ("output", new ModuleView(("dense", attentionOut), ("LayerNorm", attentionNorm)))));
        register_module("intermediate", new ModuleView(("dense", intermediate)));
        register_module("output", new ModuleView(("dense", output), ("LayerNorm", outputNorm)));
    }

    internal int Heads => heads;
    internal Linear Query => query;
    internal Linear Key => key;
    internal Linear Value => value;
    internal Linear AttentionOut => attentionOut;
    internal LayerNorm AttentionNorm => attentionNorm;
    internal Linear Intermediate => intermediate;
    internal Linear Output => output;
    internal LayerNorm OutputNorm => outputNorm;

    /// <param name="x">Hidden states [B, S, hidden].</param>
    /// <param name="mask">Additive attention mask [B, 1, 1, S] (0 for tokens, −10000 for padding).</param>
    public override Tensor forward(Tensor x, Tensor mask)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], s = x.shape[1];
        Tensor Split(Tensor t) => t.view(b, s, heads, headSize).transpose(1, 2);
        var q = Split(query.call(x));
        var k = Split(key.call(x));
        var v = Split(value.call(x));
        var scores = matmul(q, k.transpose(-1, -2)).div(_sqrtHeadSize).add(mask, Alpha.One);
        var context = matmul(scores.softmax(-1), v).transpose(1, 2).contiguous().view(b, s, hidden);
        var attended = attentionNorm.call(attentionOut.call(context).add(x, Alpha.One));
        var y = outputNorm.call(output.call(functional.gelu(intermediate.call(attended))).add(attended, Alpha.One));
        return y.MoveToOuterDisposeScope();
    }
}
