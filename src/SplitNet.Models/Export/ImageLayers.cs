using SplitNet.Models.Layers;
using SplitNet.Models.Teacher;
using SplitNet.Onnx;
using TorchSharp.Modules;
using static SplitNet.Onnx.OnnxAttribute;
using static TorchSharp.torch;

namespace SplitNet.Models.Export;

/// <summary>
/// ONNX nodes of the image layers (N, C, H, W) the student and the teacher are made of. Each
/// emitter takes the name of its input tensor and returns the name of its output; weights are
/// named after the module's state-dict path.
/// </summary>
internal static class ImageLayers
{
    /// <summary>Any module of the student's g_a or g_s or of the teacher, sequences walked in order.</summary>
    /// <exception cref="NotSupportedException">A module (or a setting of one) has no ONNX form here.</exception>
    public static string Module(this OnnxGraphBuilder graph, nn.Module module, string x, string name) => module switch
    {
        Sequential sequence => sequence.named_children().Aggregate(x, (h, child) => graph.Module(child.module, h, $"{name}.{child.name}")),
        Conv2d conv => graph.Conv(conv, x, name),
        BatchNorm2d norm => graph.BatchNorm(norm, x, name),
        ReLU => graph.Node("Relu", [x]),
        ReLU6 => graph.Node("Clip", [x, graph.FloatInitializer($"{name}.min", [0f]), graph.FloatInitializer($"{name}.max", [6f])]),
        BasicBlock block => graph.BasicBlock(block, x, name),
        InvertedResidual inverted => inverted.Residual
            ? graph.Node("Add", [x, graph.Module(inverted.Block, x, $"{name}.block")])
            : graph.Module(inverted.Block, x, $"{name}.block"),
        Gdn1 gdn => graph.Gdn(gdn, x, name),
        Upsample upsample => graph.Upsample(upsample, x, name),
        AdaptiveAvgPool2d pool when pool.output_size.All(s => s == 1) => graph.Node("GlobalAveragePool", [x]),
        Flatten flatten when flatten.start_dim == 1 && flatten.end_dim == -1 => graph.Node("Flatten", [x], [Int("axis", 1)]),
        Linear linear => graph.Gemm(linear, x, name),
        _ => throw new NotSupportedException($"{name}: no ONNX form for a {module.GetType().Name} with these settings"),
    };

    public static string Conv(this OnnxGraphBuilder graph, Conv2d conv, string x, string name)
    {
        if (conv.transposed || conv.padding_mode != TorchSharp.PaddingModes.Zeros || conv.padding is not { Length: 2 } p)
        {
            throw new NotSupportedException($"{name}: only plain 2-D convolutions with explicit zero padding are exported");
        }
        List<string> inputs = [x, graph.Weight($"{name}.weight", conv.weight!)];
        if (conv.bias is { } bias)
        {
            inputs.Add(graph.Weight($"{name}.bias", bias));
        }
        return graph.Node("Conv", inputs,
        [
            Ints("kernel_shape", conv.kernel_size),
            Ints("strides", conv.stride),
            Ints("pads", p[0], p[1], p[0], p[1]),
            Ints("dilations", conv.dilation),
            Int("group", conv.groups),
        ]);
    }

    /// <summary>Batch normalisation in eval mode: the running statistics.</summary>
    public static string BatchNorm(this OnnxGraphBuilder graph, BatchNorm2d norm, string x, string name) =>
        graph.Node("BatchNormalization",
        [
            x,
            graph.Weight($"{name}.weight", norm.weight!),
            graph.Weight($"{name}.bias", norm.bias!),
            graph.Weight($"{name}.running_mean", norm.running_mean!),
            graph.Weight($"{name}.running_var", norm.running_var!),
        ], [Float("epsilon", (float)norm.eps)]);

    public static string BasicBlock(this OnnxGraphBuilder graph, BasicBlock block, string x, string name)
    {
        var y = graph.Node("Relu", [graph.BatchNorm(block.Norm1, graph.Conv(block.Conv1, x, $"{name}.conv1"), $"{name}.bn1")]);
        y = graph.BatchNorm(block.Norm2, graph.Conv(block.Conv2, y, $"{name}.conv2"), $"{name}.bn2");
        var identity = block.Shortcut is { } shortcut ? graph.Module(shortcut, x, $"{name}.shortcut") : x;
        return graph.Node("Relu", [graph.Node("Add", [y, identity])]);
    }

    /// <summary>GDN: x / (β + γ ∗ |x|), IGDN: x · (β + γ ∗ |x|), with β and γ as the reparameterisation makes them.</summary>
    public static string Gdn(this OnnxGraphBuilder graph, Gdn1 gdn, string x, string name)
    {
        using var scope = NewDisposeScope();
        var (beta, gamma) = gdn.Effective();
        var norm = graph.Node("Conv", [graph.Node("Abs", [x]), graph.Weight($"{name}.gamma", gamma), graph.Weight($"{name}.beta", beta)],
            [Ints("kernel_shape", 1, 1)]);
        return graph.Node(gdn.Inverse ? "Mul" : "Div", [x, norm]);
    }

    /// <summary>
    /// Nearest-neighbour upsampling by scale factors: torch takes source index floor(i / scale),
    /// which is Resize's asymmetric transform with floor rounding.
    /// </summary>
    public static string Upsample(this OnnxGraphBuilder graph, Upsample upsample, string x, string name)
    {
        var factors = upsample.scale_factor.ToArray();
        if (upsample.mode != UpsampleMode.Nearest || factors.Length != 2 || upsample.recompute_scale_factor == true)
        {
            throw new NotSupportedException($"{name}: only nearest upsampling by two scale factors is exported");
        }
        var scales = graph.FloatInitializer($"{name}.scales", [1f, 1f, (float)factors[0], (float)factors[1]], 4);
        return graph.Node("Resize", [x, "", scales],
        [
            OnnxAttribute.String("mode", "nearest"),
            OnnxAttribute.String("coordinate_transformation_mode", "asymmetric"),
            OnnxAttribute.String("nearest_mode", "floor"),
        ]);
    }

    /// <summary>A linear layer on (N, features): Gemm with the weight as stored, (out, in).</summary>
    public static string Gemm(this OnnxGraphBuilder graph, Linear linear, string x, string name)
    {
        List<string> inputs = [x, graph.Weight($"{name}.weight", linear.weight!)];
        if (linear.bias is { } bias)
        {
            inputs.Add(graph.Weight($"{name}.bias", bias));
        }
        return graph.Node("Gemm", inputs, [Int("transB", 1)]);
    }
}
