using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SplitNet.Onnx;
using SplitNet.Onnx.Format;

namespace SplitNet.Models.Tests.Onnx;

public sealed class OnnxGraphCutTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("splitnet-cut-").FullName;

    /// <summary>x [2,4] → MatMul w1 → a → Relu → h → MatMul w2 → m → Add b → y [2,2]; <paramref name="extra"/> may rewire the end.</summary>
    private string Write(string name, bool recordH = true, Action<GraphProto>? extra = null)
    {
        var random = new Random(3);
        TensorProto Weight(string n, params long[] dims)
        {
            var values = Enumerable.Range(0, (int)dims.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var tensor = new TensorProto { Name = n, DataType = (int)TensorProto.Types.DataType.Float };
            tensor.Dims.AddRange(dims);
            tensor.FloatData.AddRange(values);
            return tensor;
        }
        var graph = new GraphProto
        {
            Name = "tiny",
            Initializer = { Weight("w1", 4, 3), Weight("w2", 3, 2), Weight("b", 2), Weight("w3", 4, 2) },
            Node =
            {
                new NodeProto { Name = "first", OpType = "MatMul", Input = { "x", "w1" }, Output = { "a" } },
                new NodeProto { Name = "relu", OpType = "Relu", Input = { "a" }, Output = { "h" } },
                new NodeProto { Name = "second", OpType = "MatMul", Input = { "h", "w2" }, Output = { "m" } },
                new NodeProto { Name = "bias", OpType = "Add", Input = { "m", "b" }, Output = { "y" } },
            },
            Input = { Value("x", 2, 4) },
            Output = { Value("y", 2, 2) },
        };
        if (recordH)
        {
            graph.ValueInfo.Add(Value("h", 2, 3));
        }
        extra?.Invoke(graph);
        var path = Path.Combine(_directory, name + ".onnx");
        File.WriteAllBytes(path, new ModelProto { IrVersion = 8, ProducerName = "test", Graph = graph, OpsetImport = { new OperatorSetIdProto { Version = 17 } } }.ToByteArray());
        return path;
    }

    private static ValueInfoProto Value(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }

    private static float[] Run(byte[] model, string input, float[] values, long[] shape)
    {
        using var session = new InferenceSession(model);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(values, [.. shape.Select(d => (int)d)]))]);
        return [.. results.Single().AsTensor<float>()];
    }

    [Fact]
    public void Cut_HeadThenTail_EqualsTheWholeModel()
    {
        var path = Write("whole");
        var x = Enumerable.Range(0, 8).Select(i => i / 4f - 1).ToArray();

        var (head, tail) = OnnxGraphCut.Cut(OnnxModel.Load(path), "h");
        var h = Run(head.ToByteArray(), "x", x, [2, 4]);
        var split = Run(tail.ToByteArray(), "h", h, [2, 3]);

        Assert.Equal(Run(File.ReadAllBytes(path), "x", x, [2, 4]), split);
        Assert.Equal(["first", "relu"], head.Graph.Node.Select(n => n.Name));
        Assert.Equal(["w1"], head.Graph.Initializer.Select(t => t.Name));
        Assert.Equal(["w2", "b"], tail.Graph.Initializer.Select(t => t.Name));
        Assert.Equal("h", Assert.Single(tail.Graph.Input).Name);
    }

    [Fact]
    public void Cut_WhereALaterNodeReadsAnEarlierTensorOrTheInput_DoesNotSeparateTheGraph()
    {
        var skip = Write("skip", extra: g =>
        {
            g.Node[3].Output[0] = "partial";
            g.Node.Add(new NodeProto { Name = "shortcut", OpType = "MatMul", Input = { "x", "w3" }, Output = { "s" } });
            g.Node.Add(new NodeProto { Name = "join", OpType = "Add", Input = { "partial", "s" }, Output = { "y" } });
        });
        var reuse = Write("reuse", extra: g => g.Node.Add(new NodeProto { Name = "again", OpType = "Relu", Input = { "a" }, Output = { "unused" } }));

        var error = Assert.Throws<ArgumentException>(() => OnnxGraphCut.Cut(OnnxModel.Load(skip), "h"));
        Assert.Contains("does not separate the graph", error.Message);
        Assert.Contains("'x', a graph input", error.Message);
        error = Assert.Throws<ArgumentException>(() => OnnxGraphCut.Cut(OnnxModel.Load(reuse), "h"));
        Assert.Contains("node 'again (Relu)' after it also reads 'a', computed before the cut", error.Message);
    }

    [Theory]
    [InlineData("nope", "no node computes a tensor 'nope'")]
    [InlineData("w2", "'w2' is a graph input or a weight")]
    [InlineData("x", "'x' is a graph input or a weight")]
    public void Cut_AtANameNoNodeComputes_SaysSoNamingTheFile(string tensor, string message)
    {
        var path = Write("names");
        var error = Assert.Throws<ArgumentException>(() => OnnxGraphCut.Cut(OnnxModel.Load(path), tensor));
        Assert.Contains(path, error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Cut_AtATensorWithoutARecordedShape_AsksForShapeInference()
    {
        var path = Write("unshaped", recordH: false);
        var error = Assert.Throws<ArgumentException>(() => OnnxGraphCut.Cut(OnnxModel.Load(path), "h"));
        Assert.Contains("the type and shape of 'h' are not recorded", error.Message);
    }

    [Theory]
    [InlineData("ReLU283_Output_0", 64 * 56 * 56)]
    [InlineData("ReLU315_Output_0", 128 * 28 * 28)]
    [InlineData("ReLU347_Output_0", 256 * 14 * 14)]
    public void Cut_ResNet18AfterALayer_HeadThenTailEqualsTheWholeModel(string tensor, int cutSize)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "assets", "resnet18", "ResNet18.onnx");
        using (var file = File.OpenRead(path))
        {
            // Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1, tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx.
            Assert.Equal("e2552f19db2dfdb01b3669537b6a0f1b44da38d18279535492ed5dfc2ef1ff8f", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file)));
        }
        var random = new Random(9);
        var image = Enumerable.Range(0, 3 * 224 * 224).Select(_ => (float)(random.NextDouble() * 255 - 115)).ToArray();

        var (head, tail) = OnnxGraphCut.Cut(OnnxModel.Load(path), tensor);
        var feature = Run(head.ToByteArray(), "Input247", image, [1, 3, 224, 224]);
        var dims = tail.Graph.Input.Single().Type.TensorType.Shape.Dim.Select(d => d.DimValue).ToArray();
        var split = Run(tail.ToByteArray(), tensor, feature, dims);
        var whole = Run(File.ReadAllBytes(path), "Input247", image, [1, 3, 224, 224]);

        Assert.Equal(cutSize, feature.Length);
        Assert.Equal(512, whole.Length);
        Assert.Equal(whole, split);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
