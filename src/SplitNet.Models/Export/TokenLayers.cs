using SplitNet.Onnx;
using TorchSharp.Modules;
using static SplitNet.Onnx.OnnxAttribute;

namespace SplitNet.Models.Export;

/// <summary>ONNX nodes of the layers that act on the last axis of token states (N, S, features).</summary>
internal static class TokenLayers
{
    /// <summary>A linear layer on the last axis: MatMul by the weight transposed to (in, out), then the bias.</summary>
    public static string Linear(this OnnxGraphBuilder graph, Linear linear, string x, string name)
    {
        using var transposed = linear.weight!.t();
        var y = graph.Node("MatMul", [x, graph.Weight($"{name}.weight_t", transposed)]);
        return linear.bias is { } bias ? graph.Node("Add", [y, graph.Weight($"{name}.bias", bias)]) : y;
    }

    public static string LayerNorm(this OnnxGraphBuilder graph, LayerNorm norm, string x, string name)
    {
        if (norm.normalized_shape.Length != 1 || !norm.elementwise_affine)
        {
            throw new NotSupportedException($"{name}: only an affine LayerNorm over the last axis is exported");
        }
        return graph.Node("LayerNormalization", [x, graph.Weight($"{name}.weight", norm.weight!), graph.Weight($"{name}.bias", norm.bias!)],
            [Int("axis", -1), Float("epsilon", (float)norm.eps)]);
    }

    /// <summary>The exact GELU, x · ½ · (1 + erf(x / √2)), as torch computes it.</summary>
    public static string Gelu(this OnnxGraphBuilder graph, string x)
    {
        var erf = graph.Node("Erf", [graph.Node("Mul", [x, graph.Scalar("sqrt_half", MathF.Sqrt(0.5f))])]);
        var half = graph.Node("Mul", [x, graph.Scalar("half", 0.5f)]);
        return graph.Node("Mul", [half, graph.Node("Add", [erf, graph.Scalar("one", 1f)])]);
    }

    /// <summary>A sequence of linear layers and exact GELUs (the token bottleneck's g_a and g_s).</summary>
    public static string Sequence(this OnnxGraphBuilder graph, Sequential sequence, string x, string name) =>
        sequence.named_children().Aggregate(x, (h, child) => child.module switch
        {
            Linear linear => graph.Linear(linear, h, $"{name}.{child.name}"),
            GELU gelu when gelu.approximate == GELU.Approximate.none => graph.Gelu(h),
            _ => throw new NotSupportedException($"{name}.{child.name}: no ONNX form for a {child.module.GetType().Name} with these settings"),
        });
}
