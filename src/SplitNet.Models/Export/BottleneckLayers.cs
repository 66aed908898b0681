using SplitNet.Models.Entropy;
using SplitNet.Onnx;
using static SplitNet.Onnx.OnnxAttribute;
using DataType = SplitNet.Onnx.Format.TensorProto.Types.DataType;

namespace SplitNet.Models.Export;

/// <summary>ONNX nodes of the entropic bottlenecks' deterministic part: rounding to symbols.</summary>
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
}
