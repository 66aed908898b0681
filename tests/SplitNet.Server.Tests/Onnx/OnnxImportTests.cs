using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Onnx;
using SplitNet.Onnx.Format;
using SplitNet.OnnxRuntime;
using DataType = SplitNet.Onnx.Format.TensorProto.Types.DataType;

namespace SplitNet.Server.Tests.Onnx;

/// <summary><c>import onnx</c> on a small image model the test writes: x → conv → relu (h) → conv (+ x) → pool → output.</summary>
public sealed class OnnxImportTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("splitnet-import-").FullName;
    private string Model => Path.Combine(_root, "tiny.onnx");
    private string Edge => Path.Combine(_root, "edge");
    private string Server => Path.Combine(_root, "server");

    public OnnxImportTests() => WriteModel(channelAxis: 3);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>A 3-channel 8×8 model with a residual around its second conv, recording <c>h</c>'s shape with <paramref name="channelAxis"/> channels (0: unknown).</summary>
    private void WriteModel(long channelAxis)
    {
        var random = new Random(4);
        float[] Weights(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5))];
        var graph = new OnnxGraphBuilder("tiny");
        var x = graph.Input("x", DataType.Float, 1, 3, 8, 8);
        var w1 = graph.FloatInitializer("w1", Weights(27 * 3), 3, 3, 3, 3);
        var w2 = graph.FloatInitializer("w2", Weights(27 * 3), 3, 3, 3, 3);
        var c1 = graph.Node("Conv", [x, w1], [OnnxAttribute.Ints("pads", 1, 1, 1, 1)], output: "c1");
        var h = graph.Node("Relu", [c1], output: "h");
        var c2 = graph.Node("Conv", [h, w2], [OnnxAttribute.Ints("pads", 1, 1, 1, 1)], output: "c2");
        var sum = graph.Node("Add", [c2, h], output: "sum");
        graph.Node("GlobalAveragePool", [sum], output: "y");
        graph.Output("y", DataType.Float, 1, 3, 1, 1);
        var proto = graph.Build();
        proto.Graph.ValueInfo.Add(Value("c1", 3));
        proto.Graph.ValueInfo.Add(Value("h", channelAxis));
        proto.Graph.ValueInfo.Add(Value("c2", 3));
        proto.Graph.ValueInfo.Add(Value("sum", 3));
        File.WriteAllBytes(Model, proto.ToByteArray());
    }

    private static ValueInfoProto Value(string name, long channels)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 1 });
        shape.Dim.Add(channels > 0 ? new TensorShapeProto.Types.Dimension { DimValue = channels } : new TensorShapeProto.Types.Dimension { DimParam = "C" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 8 });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 8 });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float, Shape = shape } } };
    }

    private OnnxSplitManifest Import(params string[] cuts) =>
        OnnxSplitImport.Import(Model, new OnnxImportOptions("tiny", cuts, "bgr", [10f, 20f, 30f], 1 / 64f), Edge, Server);

    private static byte[] Photo(int seed)
    {
        var pixels = new byte[8 * 8 * 3];
        new Random(seed).NextBytes(pixels);
        return pixels;
    }

    [Fact]
    public void Import_CutAtASeparatingTensor_EdgeThenServerGiveTheUnsplitOutput_InBatches()
    {
        var manifest = Import("h");

        Assert.Equal([3, 8, 8], manifest.Cuts[0].Shape);
        Assert.Equal(8 * 8 * 3 * 27, manifest.Cuts[0].EdgeMacs);
        var options = new OnnxRuntimeOptions();
        using var edge = OnnxSplitModel.Load(Edge, BundleSide.Edge, options);
        using var server = OnnxSplitModel.Load(Server, BundleSide.Server, options);
        var features = new[] { 1, 2 }.Select(seed => edge.Heads[0].Features(SplitInput.Image(Photo(seed)))).ToArray();
        var split = server.Tails[0].Run([.. features[0], .. features[1]], [8, 8], 8).Embeddings!;

        using var whole = OnnxSessions.Create(Model, options);
        var unsplit = new[] { 1, 2 }.SelectMany(seed =>
        {
            using var value = OrtValue.CreateTensorValueFromMemory(ImageInput.Tensor(Photo(seed), manifest.Input, "tiny"), [1, 3, 8, 8]);
            using var outputs = whole.Run(new RunOptions(), ["x"], [value], ["y"]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }).ToArray();
        Assert.Equal(6, split.Length);
        Assert.All(split.Zip(unsplit), p => Assert.Equal(p.Second, p.First, 5));
    }

    [Fact]
    public void Import_AsProbabilities_NamesTheClassesByIdAndAnswersTheSoftmaxOfTheOutput()
    {
        var manifest = OnnxSplitImport.Import(Model, new OnnxImportOptions("tiny", ["h"], "bgr", [10f, 20f, 30f], 1 / 64f, OutputKind.Probabilities), Edge, Server);

        Assert.Equal(["0", "1", "2"], manifest.Labels);
        var options = new OnnxRuntimeOptions();
        using var edge = OnnxSplitModel.Load(Edge, BundleSide.Edge, options);
        using var server = OnnxSplitModel.Load(Server, BundleSide.Server, options);
        var probabilities = server.Tails[0].Run(edge.Heads[0].Features(SplitInput.Image(Photo(3))), [8], 8).Probabilities!;
        using var whole = OnnxSessions.Create(Model, options);
        using var value = OrtValue.CreateTensorValueFromMemory(ImageInput.Tensor(Photo(3), manifest.Input, "tiny"), [1, 3, 8, 8]);
        using var outputs = whole.Run(new RunOptions(), ["x"], [value], ["y"]);
        var logits = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var expected = logits.Select(l => Math.Exp(l - logits.Max())).ToArray();
        Assert.All(probabilities.Zip(expected), p => Assert.Equal(p.Second / expected.Sum(), p.First, 5));
    }

    [Fact]
    public void Import_ChangedBundleFile_FailsNamingIt()
    {
        Import("h");
        File.AppendAllText(Path.Combine(Server, "cut0.tail.onnx"), "x");

        var error = Assert.Throws<InvalidDataException>(() => OnnxSplitModel.Load(Server, BundleSide.Server, new OnnxRuntimeOptions()));

        Assert.Contains(Path.Combine(Server, "cut0.tail.onnx"), error.Message);
        Assert.Contains("SHA-256", error.Message);
    }

    [Theory]
    [InlineData("nothing", "no node computes a tensor 'nothing'")]
    [InlineData("c2", "does not separate the graph")]
    [InlineData("x", "graph input")]
    public void Import_BadCut_NamesTheFileAndTheTensor(string cut, string problem)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => Import(cut));

        Assert.Contains(Model, error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Import_CutWithADynamicShape_SaysItCannotBeResolved()
    {
        WriteModel(channelAxis: 0);

        var error = Assert.Throws<InvalidDataException>(() => Import("h"));

        Assert.Contains(Model, error.Message);
        Assert.Contains("'h' has a dynamic shape [1, C, 8, 8]", error.Message);
    }
}
