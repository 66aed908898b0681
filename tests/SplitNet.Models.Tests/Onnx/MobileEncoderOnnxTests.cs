using SplitNet.Codec.Entropy;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Export;
using SplitNet.Models.Split;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SplitNet.Models.Tests.Onnx;

/// <summary>The light edge (MobileNetV2 inverted residuals, ReLU6) exported to ONNX and run with ONNX Runtime against TorchSharp.</summary>
[Collection(nameof(TorchCollection))]
public sealed class MobileEncoderOnnxTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("splitnet-mobile-onnx-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void ExportedMobileEdgePart_GivesTorchSharpsSymbols()
    {
        string edgeDirectory = Path.Combine(_root, "edge"), serverDirectory = Path.Combine(_root, "server");
        random.manual_seed(9);
        var teacher = new TeacherConfig([8, 16, 32], 1, 10);
        using (var student = new EntropicStudent(new StudentConfig(4, 8, 8, StudentEncoder.Mobile), teacher))
        {
            // Batch norms at their initial statistics would export as identities; give them some.
            foreach (var norm in student.Encoder.modules().OfType<BatchNorm2d>())
            {
                using var mode = no_grad();
                norm.running_mean!.copy_(randn(norm.running_mean.shape) * 0.3);
                norm.running_var!.copy_(rand(norm.running_var.shape) + 0.5);
            }
            student.eval();
            student.Bottleneck.Update();
            TorchBundles.SaveLadder(student, [2, 4], [0.01, 0.001], [null, null], new SplitModelManifest
            {
                ModelId = "tiny-mobile",
                TeacherModelId = "tiny",
                Teacher = teacher,
                Stream = LatentStream.Compact,
                Labels = FashionMnist.Labels,
                Normalization = [FashionMnist.Mean, FashionMnist.Std],
                Levels = [],
            }, edgeDirectory, serverDirectory);
        }
        var recorded = SplitModelOnnxExport.Export(edgeDirectory, serverDirectory);
        using var edge = SplitModel.Load(edgeDirectory, BundleSide.Edge, TorchFamilies.All);
        var pixels = new Random(4);
        var images = Enumerable.Range(0, 6).Select(_ => Enumerable.Range(0, 28 * 28).Select(_ => (byte)pixels.Next(256)).ToArray()).ToArray();

        var torchSymbols = images.SelectMany(image => edge.Levels[^1].Edge!.Encode(image).Symbols).ToArray();
        using var session = new OrtRun(Path.Combine(edgeDirectory, recorded[^1].EdgeOnnx!.File));
        var onnxSymbols = session.Run<int>(OrtRun.Input("pixels", images.SelectMany(i => i.Select(p => (float)p)).ToArray(), images.Length, 1, 28, 28))["symbols"];

        int differing = torchSymbols.Zip(onnxSymbols).Count(p => p.First != p.Second);
        Assert.Equal(torchSymbols.Length, onnxSymbols.Length);
        Assert.True(differing <= torchSymbols.Length / 1000, $"{differing} of {torchSymbols.Length} symbols differ");
    }
}
