using SplitNet.Models.Text;
using static TorchSharp.torch;

namespace SplitNet.Models.Tests.Text;

public sealed class BertOnnxImportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("splitnet-onnx-").FullName;

    private string File(string name) => Path.Combine(_directory, name);

    [Fact]
    public void Load_TracedExport_GivesBackEveryWeight()
    {
        manual_seed(3);
        using var original = new BertModel(TinyBertOnnx.Config);
        TinyBertOnnx.Write(original, File("tiny.onnx"));

        using var imported = BertOnnxImport.Load(File("tiny.onnx"), TinyBertOnnx.Config);

        var expected = original.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in imported.named_parameters())
        {
            Assert.True(parameter.allclose(expected[name], rtol: 0, atol: 0), name);
        }
        using var ids = tensor(new long[] { 1, 5, 7, 2 }).unsqueeze(0);
        using var mask = ones(1, 4);
        original.eval();
        using var a = original.call(ids, mask);
        using var b = imported.call(ids, mask);
        Assert.True(a.allclose(b), "same weights, same hidden states");
    }

    [Fact]
    public void Load_MissingTensor_NamesTheFileAndTheTensor()
    {
        using var original = new BertModel(TinyBertOnnx.Config);
        TinyBertOnnx.Write(original, File("partial.onnx"), keep: name => name != "encoder.layer.1.intermediate.dense.weight");

        var error = Assert.Throws<InvalidDataException>(() => BertOnnxImport.Load(File("partial.onnx"), TinyBertOnnx.Config));

        Assert.Contains(File("partial.onnx"), error.Message);
        Assert.Contains("'encoder.layer.1.intermediate.dense.weight'", error.Message);
    }

    [Fact]
    public void Load_AnotherShape_IsAnUnsupportedArchitectureNamingTheTensor()
    {
        using var original = new BertModel(TinyBertOnnx.Config);
        TinyBertOnnx.Write(original, File("tiny.onnx"));

        var error = Assert.Throws<InvalidDataException>(() => BertOnnxImport.Load(File("tiny.onnx"), TinyBertOnnx.Config with { Intermediate = 32 }));

        Assert.Contains("'encoder.layer.0.intermediate.dense.weight' is [16, 8]", error.Message);
    }

    [Fact]
    public void Load_NotOnnx_SaysSoNamingTheFile()
    {
        System.IO.File.WriteAllText(File("notes.onnx"), "these are not the weights you are looking for\n");

        var error = Assert.Throws<InvalidDataException>(() => BertOnnxImport.Load(File("notes.onnx"), TinyBertOnnx.Config));

        Assert.Contains(File("notes.onnx"), error.Message);
        Assert.Contains("not an ONNX model", error.Message);
        Assert.Throws<FileNotFoundException>(() => BertOnnxImport.Load(File("absent.onnx"), TinyBertOnnx.Config));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
