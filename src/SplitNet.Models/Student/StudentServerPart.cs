using static TorchSharp.torch;
using SplitNet.Models.Split;

namespace SplitNet.Models.Student;

/// <summary>The server part of one student level: g_s and the teacher's tail on ŷ.</summary>
internal sealed class StudentServerPart(EntropicStudent student, int classes)
    : ClassifierPart(student.Config.Latent, classes)
{
    internal EntropicStudent Student => student;

    protected override Tensor Logits(Tensor yHat) => student.Classify(yHat);

    public override void Dispose() => student.Dispose();
}
