using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using SplitNet.Training.Student;
using static TorchSharp.torch;

namespace SplitNet.Training.Tests;

[Collection(nameof(TorchCollection))]
public sealed class StudentTrainerTests
{
    private static readonly StudentTrainingOptions Options = new()
    {
        Beta = 0.01, Stage1Epochs = 2, Stage2Epochs = 2, BatchSize = 8, CosineDecay = true,
    };

    // Stage 1 draws its noise from torch's generator; stage 2 starts from stage 1's tables.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Run_StoppedInAStagesSecondEpochAndResumed_EndsWithTheStudentOfAStraightRun(int stage)
    {
        var train = TinyData.Images(16, seed: 7);
        using var teacher = Teacher();
        using var straight = new TinyData.RunFolder();
        using var interrupted = new TinyData.RunFolder();

        var (expected, expectedState) = Trainer(straight.Path, teacher).Run(train, null, default);
        using (var stop = new TinyData.StopIn(epoch: 2, stage))
        {
            Assert.Throws<OperationCanceledException>(() => Trainer(interrupted.Path, teacher).Run(train, stop, stop.Token));
        }
        var (actual, actualState) = Trainer(interrupted.Path, teacher).Run(train, null, default);

        TinyData.AssertSameWeights(TinyData.Weights(expected), TinyData.Weights(actual));
        Assert.Equal(expectedState.History.Select(e => e.Loss), actualState.History.Select(e => e.Loss));
        Assert.Equal(3, actualState.Stage);
        expected.Dispose();
        actual.Dispose();
    }

    private static StudentTrainer Trainer(string folder, TeacherNet teacher) =>
        new(folder, teacher, Options, new StudentConfig(4, 8, 8));

    private static TeacherNet Teacher()
    {
        random.manual_seed(5);
        var teacher = new TeacherNet(new TeacherConfig([8, 16, 32], 1, 10));
        teacher.eval();
        return teacher;
    }
}
