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

    [Fact]
    public void MobileEncoder_AtWidth32_IsUnderATenthOfTheTeacher_AndCountsItsDepthwiseConvolutionsPerGroup()
    {
        using var teacher = new TeacherNet(TeacherConfig.Default);
        using var student = new EntropicStudent(new StudentConfig(16, 32, Encoder: StudentEncoder.Mobile), TeacherConfig.Default);
        using var block = new Layers.InvertedResidual(8, 8, 1, 4);
        var whole = ModelCost.Measure(teacher, 1, 1, 28, 28);
        var encoder = ModelCost.Measure(student.Encoder, 1, 1, 28, 28);

        Assert.True(encoder.Macs * 10 <= whole.Macs, $"encoder {encoder.Macs} MACs vs the teacher's {whole.Macs}");
        // 1x1 to 32, depthwise 3x3 over 32, 1x1 back to 8, on 14x14: the depthwise layer costs 9 per output, not 9·32.
        Assert.Equal(196L * (8 * 32 + 9 * 32 + 32 * 8), ModelCost.Measure(block, 1, 8, 14, 14).Macs);
        using var mode = inference_mode();
        using var y = student.Encoder.call(zeros(2, 1, 28, 28));
        Assert.Equal([2L, 16, 7, 7], y.shape);
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
