using SplitNet.Models.Student;
using SplitNet.Server.Inference;
using static TorchSharp.torch;

namespace SplitNet.Server.Models;

/// <summary>One rate level's decoder g_s and tail, fed with dequantized latents ŷ.</summary>
internal sealed class StudentTail(ServedModel model, EntropicStudent student, int classes) : IInferenceTarget
{
    private readonly int _channels = student.Config.LatentChannels;

    public ServedModel Model { get; } = model;
    public int InputSize => _channels * StudentConfig.LatentSize * StudentConfig.LatentSize;
    public int Classes { get; } = classes;

    public float[] Run(float[] inputs, int count)
    {
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var yHat = tensor(inputs, [count, _channels, StudentConfig.LatentSize, StudentConfig.LatentSize]);
        return nn.functional.softmax(student.Classify(yHat), 1).data<float>().ToArray();
    }
}
