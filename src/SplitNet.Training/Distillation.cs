using static TorchSharp.torch;

namespace SplitNet.Training;

/// <summary>The knowledge-distillation term every recipe shares.</summary>
public static class Distillation
{
    /// <summary>
    /// T²·KL(teacher ‖ student) of the logits softened at <paramref name="temperature"/>, summed over
    /// classes and averaged over the batch; the T² keeps the gradient's scale independent of T.
    /// </summary>
    public static Tensor Kl(Tensor studentLogits, Tensor teacherLogits, double temperature = 1)
    {
        var teacherLog = nn.functional.log_softmax(teacherLogits / temperature, 1);
        var studentLog = nn.functional.log_softmax(studentLogits / temperature, 1);
        return (teacherLog.exp() * (teacherLog - studentLog)).sum(1).mean() * (temperature * temperature);
    }
}
