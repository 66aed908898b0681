using SplitNet.Codec.Entropy;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SplitNet.Models.Tests;

[Collection(nameof(TorchCollection))]
public sealed class EntropicStudentTests
{
    private static readonly TeacherConfig Teacher = new([8, 16, 32], 1, 10);

    private static TeacherNet TrainedTeacher()
    {
        random.manual_seed(3);
        var teacher = new TeacherNet(Teacher);
        // Non-trivial batch-norm statistics, so copying them (or not) shows in the output.
        teacher.train();
        using (no_grad())
        {
            for (int i = 0; i < 5; i++)
            {
                teacher.call(randn(16, 1, 28, 28) * 2 + 0.5).Dispose();
            }
        }
        teacher.eval();
        return teacher;
    }

    [Theory]
    [InlineData(StudentEncoder.TeacherStem, TeacherStage.Stage1)]
    [InlineData(StudentEncoder.TeacherBlock, TeacherStage.Stage2)] // this teacher's stage 2 is one block
    public void TeacherLayers_AfterLoadTeacher_ComputeTheTeachersFeature(StudentEncoder encoder, TeacherStage last)
    {
        using var teacher = TrainedTeacher();
        using var student = new EntropicStudent(new StudentConfig(4, 8, 8, encoder), Teacher);
        student.LoadTeacher(teacher);
        student.eval();
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var x = randn(2, 1, 28, 28);

        var expected = teacher.Run(x, TeacherStage.Stem, last);
        var actual = student.TeacherLayers.Aggregate(x, (h, layer) => layer.call(h));
        var h1 = teacher.Run(x, TeacherStage.Stem, TeacherStage.Stage1);

        Assert.Equal((int)last + 1, student.TeacherLayers.Count);
        Assert.True(allclose(actual, expected, rtol: 1e-5, atol: 1e-6), "g_a's teacher layers differ from the teacher's");
        Assert.Equal([2L, 4, 7, 7], student.Encoder.call(x).shape);
        Assert.True(allclose(student.EncodeStage1Feature(h1), student.Encoder.call(x), rtol: 1e-5, atol: 1e-6), "g_a on the stage-1 feature differs from g_a on the image");
    }

    [Fact]
    public void TeacherStem_InTrainMode_KeepsTheTeachersBatchNormStatistics()
    {
        using var teacher = TrainedTeacher();
        using var student = new EntropicStudent(new StudentConfig(4, 8, 8, StudentEncoder.TeacherStem), Teacher);
        student.LoadTeacher(teacher);
        var norm = student.TeacherLayers[0].modules().OfType<BatchNorm2d>().Single();
        using var before = norm.running_mean!.clone();

        student.train();
        using (no_grad())
        {
            student.Encoder.call(randn(8, 1, 28, 28) * 5 + 3).Dispose();
        }

        Assert.False(norm.training);
        Assert.All(student.TeacherLayers.SelectMany(layer => layer.parameters()), p => Assert.False(p.requires_grad));
        Assert.True(student.Decoder.training);
        Assert.True(before.allclose(norm.running_mean!, rtol: 0, atol: 0), "training mode updated the copied teacher's batch-norm statistics");
    }

    [Fact]
    public void CodedSplit_FiftyTimes_LeavesNoLiveTensors()
    {
        using var teacher = TrainedTeacher();
        using var student = new EntropicStudent(new StudentConfig(4, 8, 8, StudentEncoder.TeacherBlock), Teacher);
        student.LoadTeacher(teacher);
        student.eval();
        student.Bottleneck.Update();
        using var mode = inference_mode();
        using var x = randn(2, 1, 28, 28);
        int Run()
        {
            using var scope = NewDisposeScope();
            var strings = student.Bottleneck.Compress(student.Encoder.call(x), LatentStream.Compact);
            var yHat = student.Bottleneck.Decompress(strings, StudentConfig.LatentSize, StudentConfig.LatentSize, LatentStream.Compact);
            return (int)student.Classify(yHat).argmax(1).sum().item<long>();
        }
        Run();
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 50; i++)
        {
            Run();
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Compact_HasNoTeacherLayers()
    {
        using var student = new EntropicStudent(new StudentConfig(4, 8, 8), Teacher);
        Assert.Empty(student.TeacherLayers);
        using var x = zeros(1, 32, 28, 28);
        Assert.Throws<InvalidOperationException>(() => student.EncodeStage1Feature(x));
    }
}
