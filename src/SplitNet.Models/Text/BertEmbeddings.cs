using SplitNet.Models.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SplitNet.Models.Text;

/// <summary>Word + position + token-type embeddings, then LayerNorm (single-segment input: token type 0).</summary>
internal sealed class BertEmbeddings : Module<Tensor, Tensor>
{
    private readonly Embedding word, position, tokenType;
    private readonly LayerNorm norm;

    public BertEmbeddings(BertConfig config) : base("embeddings")
    {
        word = Embedding(config.VocabSize, config.Hidden);
        position = Embedding(config.MaxPositions, config.Hidden);
        tokenType = Embedding(config.TypeVocabSize, config.Hidden);
        norm = LayerNorm(config.Hidden, config.LayerNormEps);
        // Hugging Face's names, so an exported model's initializers map by name.
        register_module("word_embeddings", word);
        register_module("position_embeddings", position);
        register_module("token_type_embeddings", tokenType);
        register_module("LayerNorm", norm);
    }

    internal Embedding Word => word;
    internal Embedding Position => position;
    internal Embedding TokenType => tokenType;
    internal LayerNorm Norm => norm;

    /// <param name="ids">Token ids, int64 [B, S].</param>
    /// <returns>[B, S, hidden].</returns>
    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var positions = arange(ids.shape[1], dtype: ScalarType.Int64, device: ids.device).unsqueeze(0);
        var x = word.call(ids).add(position.call(positions), Alpha.One).add(tokenType.call(zeros_like(ids)), Alpha.One);
        return norm.call(x).MoveToOuterDisposeScope();
    }
}
