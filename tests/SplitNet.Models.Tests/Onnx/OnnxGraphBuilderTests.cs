using SplitNet.Onnx;
using DataType = SplitNet.Onnx.Format.TensorProto.Types.DataType;

namespace SplitNet.Models.Tests.Onnx;

public sealed class OnnxGraphBuilderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("splitnet-builder-").FullName;

    [Fact]
    public void Save_WritesAGraphOnnxRuntimeRuns_WithASymbolicBatch()
    {
        var graph = new OnnxGraphBuilder("tiny");
        var x = graph.Input("x", DataType.Float, "N", 2);
        var w = graph.FloatInitializer("w", [1f, 2f, 3f, 4f], 2, 2);
        var bias = graph.Node("Constant", [], [OnnxAttribute.Floats("value_floats", 0f, 1f)]);
        var y = graph.Node("Gemm", [x, w, bias], [OnnxAttribute.Int("transB", 1), OnnxAttribute.Float("alpha", 0.5f)]);
        var shape = graph.Int64Initializer("shape", [-1], 1);
        graph.Node("Reshape", [y, shape], output: "y");
        graph.Output("y", DataType.Float, "M");
        var path = Path.Combine(_directory, "tiny.onnx");
        graph.Save(path);

        using var session = new OrtRun(path);
        var result = session.Run<float>(OrtRun.Input("x", new float[] { 1, 1, 2, 0, 0, 1 }, 3, 2))["y"];

        // 0.5 · x · wᵀ + [0, 1], row by row.
        Assert.Equal([1.5f, 4.5f, 1f, 4f, 1f, 3f], result);
    }

    [Fact]
    public void UniqueName_NeverGivesANameTwice()
    {
        var graph = new OnnxGraphBuilder("names");
        var x = graph.Input("x", DataType.Float, 1);
        var names = new[] { graph.Node("Relu", [x]), graph.Node("Relu", [x]), graph.UniqueName("Relu"), graph.FloatInitializer("Relu_2", [0f], 1) };

        Assert.Equal(["Relu", "Relu_1", "Relu_2", "Relu_2_1"], names);
        Assert.Throws<ArgumentException>(() => graph.Node("Relu", [x], output: "x"));
    }

    [Fact]
    public void Build_RejectsANodeThatReadsAnUndefinedTensor_AndAnUncomputedOutput()
    {
        var graph = new OnnxGraphBuilder("broken");
        graph.Input("x", DataType.Float, 1);
        graph.Node("Add", ["x", "nowhere"], output: "y");
        graph.Output("y", DataType.Float, 1);
        Assert.Contains("'nowhere'", Assert.Throws<InvalidOperationException>(graph.Build).Message, StringComparison.Ordinal);

        var unset = new OnnxGraphBuilder("unset");
        unset.Node("Relu", [unset.Input("x", DataType.Float, 1)]);
        unset.Output("z", DataType.Float, 1);
        Assert.Contains("'z'", Assert.Throws<InvalidOperationException>(unset.Build).Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
