using SplitNet.Models.Student;
using SplitNet.Server.Inference;
using static TorchSharp.torch;

namespace SplitNet.Server.Models;

/// <summary>One rate level's decoder g_s and tail, fed with the dequantized latent ŷ.</summary>
internal sealed class StudentTail(string modelId, EntropicStudent student) : IInferenceTarget
{
    private readonly long[] _shape = [1, student.Config.LatentChannels, StudentConfig.LatentSize, StudentConfig.LatentSize];

    public string ModelId { get; } = modelId;

    public float[] Probabilities(float[] input)
    {
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var logits = student.Classify(tensor(input, _shape));
        return nn.functional.softmax(logits, 1).data<float>().ToArray();
    }
}
