using static TorchSharp.torch;
using SplitNet.Models.Split;

namespace SplitNet.Models.Student;

/// <summary>The server part of one student level: g_s and the teacher's tail on ŷ.</summary>
/// <param name="owner">What disposing the part releases: the student itself, unless levels share it.</param>
internal sealed class StudentServerPart(EntropicStudent student, int classes, IDisposable? owner = null)
    : ClassifierPart(student.Config.Latent, classes)
{
    internal EntropicStudent Student => student;

    protected override Tensor Logits(Tensor yHat) => student.Classify(yHat);

    public override void Dispose() => (owner ?? student).Dispose();
}
