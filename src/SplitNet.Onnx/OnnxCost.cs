using SplitNet.Onnx.Format;

namespace SplitNet.Onnx;

/// <summary>Multiply-accumulates of a graph per input, from its convolutions and matrix products and the shapes it records.</summary>
public static class OnnxCost
{
    public static long Macs(ModelProto model)
    {
        var shapes = model.Graph.ValueInfo.Concat(model.Graph.Output).Concat(model.Graph.Input)
            .Where(v => v.Type?.TensorType?.Shape is not null)
            .GroupBy(v => v.Name).ToDictionary(g => g.Key, g => g.First().Type.TensorType.Shape.Dim.Select(d => d.DimValue).ToArray(), StringComparer.Ordinal);
        var weights = model.Graph.Initializer.ToDictionary(t => t.Name, t => t.Dims.ToArray(), StringComparer.Ordinal);
        long total = 0;
        foreach (var node in model.Graph.Node)
        {
            if (node.OpType == "Conv" && weights.TryGetValue(node.Input[1], out var kernel) && shapes.TryGetValue(node.Output[0], out var output))
            {
                // Per output element: in-channels per group × kernel area (the kernel is [out, in/group, kh, kw]).
                total += output.Skip(1).Aggregate(1L, (a, d) => a * d) * kernel.Skip(1).Aggregate(1L, (a, d) => a * d);
            }
            else if (node.OpType is "Gemm" or "MatMul" && shapes.TryGetValue(node.Output[0], out var product)
                && (weights.TryGetValue(node.Input[1], out var matrix) || shapes.TryGetValue(node.Input[1], out matrix)))
            {
                bool transposed = node.OpType == "Gemm" && node.Attribute.Any(a => a.Name == "transB" && a.I == 1);
                long inner = transposed ? matrix[^1] : matrix[^2];
                total += product.Skip(1).Aggregate(1L, (a, d) => a * d) * inner;
            }
        }
        return total;
    }
}
