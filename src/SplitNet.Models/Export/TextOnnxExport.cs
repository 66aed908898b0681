using SplitNet.Models.Text;
using SplitNet.Models.Split;
using SplitNet.Onnx;
using SplitNet.Onnx.Format;
using static SplitNet.Onnx.OnnxAttribute;
using static TorchSharp.torch;
using DataType = SplitNet.Onnx.Format.TensorProto.Types.DataType;

namespace SplitNet.Models.Export;

/// <summary>
/// The two parts of a MiniLM token-bottleneck level as ONNX graphs (opset 17, batch axis "N",
/// token axis "S"): the edge maps token ids to the integer symbols, the server maps ŷ and the
/// padding mask to sentence embeddings and, with a category head, class probabilities.
/// </summary>
internal static class TextOnnxExport
{
    /// <summary>
    /// <c>input_ids</c> int64 (N, S), every token real → embeddings → layers [0, k) → g_a →
    /// round(y − median) → <c>symbols</c> int32 (N, C, S).
    /// </summary>
    public static ModelProto Edge(BertModel bert, TokenBottleneck bottleneck, string graphName)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var graph = new OnnxGraphBuilder(graphName);
        var ids = graph.Input(PartTensors.InputIds, DataType.Int64, "N", "S");
        var h = graph.Embeddings(bert.Embeddings, ids, "embeddings");
        for (int i = 0; i < bottleneck.Config.Cut; i++)
        {
            // Without padding the additive mask is all zeros: no mask at all is the same sum.
            h = graph.Layer(bert.Layer(i), h, mask: null, $"encoder.layer.{i}");
        }
        graph.Symbols(bottleneck.Bottleneck, graph.Analysis(bottleneck, h), rank: 3, output: PartTensors.Symbols);
        graph.Output(PartTensors.Symbols, DataType.Int32, "N", bottleneck.Config.Channels, "S");
        return graph.Build();
    }

    /// <summary>
    /// <c>y_hat</c> float32 (N, C, S) and <c>attention_mask</c> float32 (N, S) (1 token, 0 padding)
    /// → g_s → layers [k, L) under the mask → masked mean pooling, L2 norm → <c>embeddings</c>
    /// float32 (N, hidden); with a head also <c>probabilities</c> float32 (N, labels), its softmax.
    /// </summary>
    public static ModelProto Server(BertModel bert, TextSideWeights weights, string graphName)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var bottleneck = weights.Bottleneck;
        var graph = new OnnxGraphBuilder(graphName);
        var yHat = graph.Input(PartTensors.YHat, DataType.Float, "N", bottleneck.Config.Channels, "S");
        var mask = graph.Input(PartTensors.AttentionMask, DataType.Float, "N", "S");
        var additive = graph.AdditiveMask(mask);
        var h = graph.Synthesis(bottleneck, yHat);
        for (int i = bottleneck.Config.Cut; i < bert.Config.Layers; i++)
        {
            h = graph.Layer(bert.Layer(i), h, additive, $"encoder.layer.{i}");
        }
        var embeddings = graph.MeanPool(h, mask, output: PartTensors.Embeddings);
        graph.Output(PartTensors.Embeddings, DataType.Float, "N", bert.Config.Hidden);
        if (weights.Head is { } head)
        {
            graph.Node("Softmax", [graph.Gemm(head, embeddings, "head")], [Int("axis", 1)], output: PartTensors.Probabilities);
            graph.Output(PartTensors.Probabilities, DataType.Float, "N", head.out_features);
        }
        return graph.Build();
    }
}
