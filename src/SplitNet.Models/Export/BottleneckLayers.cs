using SplitNet.Models.Entropy;
using SplitNet.Models.Text;
using SplitNet.Onnx;
using static SplitNet.Onnx.OnnxAttribute;
using DataType = SplitNet.Onnx.Format.TensorProto.Types.DataType;

namespace SplitNet.Models.Export;

/// <summary>ONNX nodes of the entropic bottlenecks' deterministic parts: rounding to symbols and the token bottleneck's g_a and g_s.</summary>
internal static class BottleneckLayers
{
    /// <summary>
    /// The symbols round(y − median) as int32, y being channels-second (N, C, …); Round is half to
    /// even, as torch rounds. <paramref name="rank"/> is y's.
    /// </summary>
    public static string Symbols(this OnnxGraphBuilder graph, EntropyBottleneck bottleneck, string y, int rank, string output)
    {
        using var medians = bottleneck.Medians();
        long[] shape = [1, bottleneck.Channels, .. Enumerable.Repeat(1L, rank - 2)];
        var centred = graph.Node("Sub", [y, graph.Weight("entropy_bottleneck.medians", medians, shape)]);
        return graph.Node("Cast", [graph.Node("Round", [centred])], [Int("to", (long)DataType.Int32)], output);
    }

    /// <summary>g_a on token states (N, S, hidden) minus the center: y (N, C, S), channel-major.</summary>
    public static string Analysis(this OnnxGraphBuilder graph, TokenBottleneck bottleneck, string hidden)
    {
        var centred = graph.Node("Sub", [hidden, graph.Weight("center", bottleneck.CenterBuffer)]);
        var y = graph.Sequence(bottleneck.AnalysisLayers, centred, "g_a");
        return graph.Node("Transpose", [y], [Ints("perm", 0, 2, 1)]);
    }

    /// <summary>g_s on ŷ (N, C, S) plus the center: token states (N, S, hidden).</summary>
    public static string Synthesis(this OnnxGraphBuilder graph, TokenBottleneck bottleneck, string yHat)
    {
        var tokens = graph.Node("Transpose", [yHat], [Ints("perm", 0, 2, 1)]);
        return graph.Node("Add", [graph.Sequence(bottleneck.SynthesisLayers, tokens, "g_s"), graph.Weight("center", bottleneck.CenterBuffer)]);
    }
}
