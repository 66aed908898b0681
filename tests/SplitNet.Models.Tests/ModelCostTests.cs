using SplitNet.Models.Analysis;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using TorchSharp;
using static TorchSharp.torch;

namespace SplitNet.Models.Tests;

[Collection(nameof(TorchCollection))]
public sealed class ModelCostTests
{
    [Fact]
    public void Measure_OneConvolution_CountsOutputsTimesKernel()
    {
        using var conv = nn.Conv2d(3, 8, 3, stride: 2, padding: 1, bias: false);
        var cost = ModelCost.Measure(conv, 1, 3, 28, 28);
        Assert.Equal(8L * 14 * 14 * 3 * 9, cost.Macs);
        Assert.Equal(8L * 3 * 9, cost.Parameters);
    }

    [Fact]
    public void Measure_TeacherStages_AddUpToTheWholeTeacher()
    {
        using var teacher = new TeacherNet(TeacherConfig.Default);
        var whole = ModelCost.Measure(teacher, 1, 1, 28, 28);
        var head = ModelCost.Measure(teacher, x => teacher.Run(x, TeacherStage.Stem, TeacherStage.Stage2), 1, 1, 28, 28);
        var tail = ModelCost.Measure(teacher, x => teacher.Run(x, TeacherStage.Stage3, TeacherStage.Head), 1, 64, 14, 14);

        Assert.Equal(whole.Macs, head.Macs + tail.Macs);
        Assert.Equal(whole.Parameters, head.Parameters + tail.Parameters);
        Assert.Equal(teacher.parameters().Sum(p => p.numel()), whole.Parameters);
    }

    [Fact]
    public void DefaultStudentEncoder_CostsLessThanTheTeacherStagesItReplaces()
    {
        using var teacher = new TeacherNet(TeacherConfig.Default);
        using var student = new EntropicStudent(new StudentConfig(), TeacherConfig.Default);
        var replaced = ModelCost.Measure(teacher, x => teacher.Run(x, TeacherStage.Stem, TeacherStage.Stage2), 1, 1, 28, 28);
        var encoder = ModelCost.Measure(student.Encoder, 1, 1, 28, 28);

        Assert.True(encoder.Macs < replaced.Macs, $"encoder {encoder.Macs} MACs vs {replaced.Macs} replaced");
        Assert.True(encoder.Parameters > 0);
    }
}

[Collection(nameof(TorchCollection))]
public sealed class StudentLeakTests
{
    [Fact]
    public void StudentForward_FiftyTimes_LeavesNoLiveTensors()
    {
        random.manual_seed(12);
        using var student = new EntropicStudent(new StudentConfig(4, 8, 8), new TeacherConfig([8, 16, 32], 1, 10));
        student.eval();
        student.Bottleneck.Update();
        using var mode = inference_mode();
        using var x = randn(1, 1, 28, 28);
        using (NewDisposeScope())
        {
            student.call(x);
        }
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 50; i++)
        {
            using var scope = NewDisposeScope();
            _ = student.call(x).argmax(1).item<long>();
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
