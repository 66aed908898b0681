using SplitNet.Models.Data;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using SplitNet.Models.Split;
using SplitNet.Onnx;
using SplitNet.Onnx.Format;
using static SplitNet.Onnx.OnnxAttribute;
using static TorchSharp.torch;
using DataType = SplitNet.Onnx.Format.TensorProto.Types.DataType;

namespace SplitNet.Models.Export;

/// <summary>
/// The two parts of an Entropic Student level as ONNX graphs (opset 17, batch axis "N"): the edge
/// maps raw pixels to the integer symbols, the server maps ŷ to class probabilities.
/// </summary>
internal static class StudentOnnxExport
{
    /// <summary>
    /// <c>pixels</c> float32 (N, 1, 28, 28), values 0–255 → normalisation → g_a → round(y − median)
    /// → <c>symbols</c> int32 (N, C, 7, 7).
    /// </summary>
    /// <param name="mean">The manifest's normalisation: (pixel / 255 − mean) / std.</param>
    public static ModelProto Edge(EntropicStudent student, float mean, float std, string graphName)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var graph = new OnnxGraphBuilder(graphName);
        var pixels = graph.Input(PartTensors.Pixels, DataType.Float, "N", 1, FashionMnist.Height, FashionMnist.Width);
        // The same two float operations as ImageTensors, so both give the same inputs to the last bit.
        var scaled = graph.Node("Mul", [pixels, graph.Scalar("pixel_scale", 1f / (255f * std))]);
        var x = graph.Node("Sub", [scaled, graph.Scalar("pixel_shift", mean / std)]);
        var y = graph.Module(student.Encoder, x, "g_a");
        graph.Symbols(student.Bottleneck, y, rank: 4, output: PartTensors.Symbols);
        graph.Output(PartTensors.Symbols, DataType.Int32, "N", student.Config.LatentChannels, StudentConfig.LatentSize, StudentConfig.LatentSize);
        return graph.Build();
    }

    /// <summary><c>y_hat</c> float32 (N, C, 7, 7) → g_s → the teacher's stage 3 and head → softmax → <c>probabilities</c> float32 (N, classes).</summary>
    public static ModelProto Server(EntropicStudent student, string graphName)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var graph = new OnnxGraphBuilder(graphName);
        var yHat = graph.Input(PartTensors.YHat, DataType.Float, "N", student.Config.LatentChannels, StudentConfig.LatentSize, StudentConfig.LatentSize);
        var h = graph.Module(student.Decoder, yHat, "g_s");
        h = graph.Module(student.Tail.Stage(TeacherStage.Stage3), h, "tail.stage3");
        var logits = graph.Module(student.Tail.Stage(TeacherStage.Head), h, "tail.head");
        graph.Node("Softmax", [logits], [Int("axis", 1)], output: PartTensors.Probabilities);
        graph.Output(PartTensors.Probabilities, DataType.Float, "N", student.Tail.Config.Classes);
        return graph.Build();
    }
}
