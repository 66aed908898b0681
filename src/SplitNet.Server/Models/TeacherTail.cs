using SplitNet.Models.Teacher;
using SplitNet.Server.Inference;
using static TorchSharp.torch;

namespace SplitNet.Server.Models;

/// <summary>The teacher continued from the output of one stage.</summary>
internal sealed class TeacherTail(string modelId, TeacherNet network, TeacherStage split) : IInferenceTarget
{
    private readonly long[] _shape = [1, .. network.Config.FeatureShape(split).Select(d => (long)d)];

    public string ModelId { get; } = modelId;

    public float[] Probabilities(float[] input)
    {
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var logits = network.Run(tensor(input, _shape), split + 1, TeacherStage.Head);
        return nn.functional.softmax(logits, 1).data<float>().ToArray();
    }
}
