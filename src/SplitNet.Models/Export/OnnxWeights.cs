using SplitNet.Onnx;
using static TorchSharp.torch;

namespace SplitNet.Models.Export;

/// <summary>TorchSharp tensors and constants as initializers of a graph being written.</summary>
internal static class OnnxWeights
{
    /// <summary>The tensor's values as a float32 initializer of its own shape.</summary>
    public static string Weight(this OnnxGraphBuilder graph, string name, Tensor tensor) => graph.Weight(name, tensor, tensor.shape);

    /// <summary>The tensor's values as a float32 initializer of <paramref name="shape"/> (as many elements).</summary>
    public static string Weight(this OnnxGraphBuilder graph, string name, Tensor tensor, long[] shape)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var values = tensor.detach().to(ScalarType.Float32).contiguous().data<float>().ToArray();
        return graph.FloatInitializer(name, values, shape);
    }

    public static string Scalar(this OnnxGraphBuilder graph, string name, float value) => graph.FloatInitializer(name, [value]);

    /// <summary>An int64 vector: a shape, axes or a permutation given as an input.</summary>
    public static string Longs(this OnnxGraphBuilder graph, string name, params long[] values) => graph.Int64Initializer(name, values, values.Length);
}
