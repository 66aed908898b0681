using SplitNet.Models.Text;
using SplitNet.Onnx;
using static SplitNet.Onnx.OnnxAttribute;

namespace SplitNet.Models.Export;

/// <summary>ONNX nodes of the BERT encoder's parts, as <see cref="BertModel"/> runs them.</summary>
internal static class BertLayers
{
    /// <summary>Token ids (N, S) → word + position + token-type-0 embeddings, LayerNorm: (N, S, hidden).</summary>
    public static string Embeddings(this OnnxGraphBuilder graph, BertEmbeddings embeddings, string ids, string name)
    {
        var words = graph.Node("Gather", [graph.Weight($"{name}.word_embeddings.weight", embeddings.Word.weight!), ids]);
        var length = graph.Node("Shape", [ids], [Int("start", 1), Int("end", 2)]);
        var table = graph.Weight($"{name}.position_embeddings.weight", embeddings.Position.weight!);
        var positions = graph.Node("Slice", [table, graph.Longs("zero", 0), length, graph.Longs("axis0", 0)]);
        using var typeZero = embeddings.TokenType.weight![0];
        var x = graph.Node("Add", [graph.Node("Add", [words, positions]), graph.Weight($"{name}.token_type_embeddings.weight.0", typeZero)]);
        return graph.LayerNorm(embeddings.Norm, x, $"{name}.LayerNorm");
    }

    /// <summary>BERT's additive mask (N, 1, 1, S) of a 0/1 mask (N, S): 0 on tokens, −10000 on padding.</summary>
    public static string AdditiveMask(this OnnxGraphBuilder graph, string mask)
    {
        var masked = graph.Node("Mul", [graph.Node("Sub", [graph.Scalar("one", 1f), mask]), graph.Scalar("mask_value", -10000f)]);
        return graph.Node("Unsqueeze", [masked, graph.Longs("axes12", 1, 2)]);
    }

    /// <summary>One post-norm layer on (N, S, hidden); <paramref name="mask"/> is additive (N, 1, 1, S), or null when every token is real.</summary>
    public static string Layer(this OnnxGraphBuilder graph, BertLayer layer, string x, string? mask, string name)
    {
        var attended = graph.LayerNorm(layer.AttentionNorm,
            graph.Node("Add", [graph.Linear(layer.AttentionOut, graph.Attention(layer, x, mask, name), $"{name}.attention.output.dense"), x]),
            $"{name}.attention.output.LayerNorm");
        var hidden = graph.Gelu(graph.Linear(layer.Intermediate, attended, $"{name}.intermediate.dense"));
        return graph.LayerNorm(layer.OutputNorm,
            graph.Node("Add", [graph.Linear(layer.Output, hidden, $"{name}.output.dense"), attended]),
            $"{name}.output.LayerNorm");
    }

    /// <summary>Multi-head scaled dot-product self-attention: the context (N, S, hidden) before the output projection.</summary>
    private static string Attention(this OnnxGraphBuilder graph, BertLayer layer, string x, string? mask, string name)
    {
        long hidden = layer.Query.out_features, heads = layer.Heads, headSize = hidden / heads;
        var split = graph.Longs("heads_shape", 0, 0, heads, headSize);
        string Heads(TorchSharp.Modules.Linear projection, string part, params long[] perm) =>
            graph.Node("Transpose", [graph.Node("Reshape", [graph.Linear(projection, x, $"{name}.attention.self.{part}"), split])], [Ints("perm", perm)]);
        var q = Heads(layer.Query, "query", 0, 2, 1, 3);
        var kT = Heads(layer.Key, "key", 0, 2, 3, 1);
        var v = Heads(layer.Value, "value", 0, 2, 1, 3);
        var scores = graph.Node("Div", [graph.Node("MatMul", [q, kT]), graph.Scalar("sqrt_head_size", (float)Math.Sqrt(headSize))]);
        if (mask is not null)
        {
            scores = graph.Node("Add", [scores, mask]);
        }
        var context = graph.Node("MatMul", [graph.Node("Softmax", [scores], [Int("axis", -1)]), v]);
        return graph.Node("Reshape", [graph.Node("Transpose", [context], [Ints("perm", 0, 2, 1, 3)]), graph.Longs("hidden_shape", 0, 0, hidden)]);
    }

    /// <summary>
    /// Sentence embeddings (N, hidden) as <see cref="BertModel.MeanPool"/> makes them: the mean of
    /// the states (N, S, hidden) over the tokens of the 0/1 mask (N, S), L2-normalised.
    /// </summary>
    public static string MeanPool(this OnnxGraphBuilder graph, string hidden, string mask, string output)
    {
        var m = graph.Node("Unsqueeze", [mask, graph.Longs("axis2", 2)]);
        var axis1 = graph.Longs("axis1", 1);
        var sum = graph.Node("ReduceSum", [graph.Node("Mul", [hidden, m]), axis1], [Int("keepdims", 0)]);
        var count = graph.Node("Max", [graph.Node("ReduceSum", [m, axis1], [Int("keepdims", 0)]), graph.Scalar("min_count", 1e-9f)]);
        var mean = graph.Node("Div", [sum, count]);
        var norm = graph.Node("Max", [graph.Node("ReduceL2", [mean], [Ints("axes", 1), Int("keepdims", 1)]), graph.Scalar("min_norm", 1e-12f)]);
        return graph.Node("Div", [mean, norm], output: output);
    }
}
