using SplitNet.Models.Teacher;
using SplitNet.Server.Inference;
using static TorchSharp.torch;

namespace SplitNet.Server.Models;

/// <summary>The teacher continued from the output of one stage.</summary>
internal sealed class TeacherTail(ServedModel model, TeacherNet network, TeacherStage split, int classes) : IInferenceTarget
{
    private readonly long[] _shape = [.. network.Config.FeatureShape(split).Select(d => (long)d)];

    public ServedModel Model { get; } = model;
    public int InputSize { get; } = network.Config.FeatureShape(split).Aggregate(1, (a, d) => a * d);
    public int Classes { get; } = classes;

    public float[] Run(float[] inputs, int count)
    {
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var features = tensor(inputs, [count, .. _shape]);
        return nn.functional.softmax(network.Run(features, split + 1, TeacherStage.Head), 1).data<float>().ToArray();
    }
}
