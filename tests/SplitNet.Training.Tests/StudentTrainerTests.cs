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

    private static readonly ChannelLadder Ladder = new([1, 2, 4], [0.04, 0.02, 0.01]);

    // Stage 1 draws its noise (and a ladder's rungs) from torch's generator; stage 2 starts from
    // stage 1's tables; a ladder must come back from the checkpoint equal, or the run starts over.
    [Theory]
    [InlineData(1, false, false)]
    [InlineData(2, false, false)]
    [InlineData(1, true, false)]
    [InlineData(2, true, false)]
    [InlineData(1, true, true)]
    [InlineData(2, true, true)]
    public void Run_StoppedInAStagesSecondEpochAndResumed_EndsWithTheStudentOfAStraightRun(int stage, bool ladder, bool sandwichAndTunedTeacher)
    {
        var train = TinyData.Images(16, seed: 7);
        var options = ladder ? Options with { Ladder = Ladder } : Options;
        if (sandwichAndTunedTeacher)
        {
            options = options with { Ladder = new(Ladder.Channels, Ladder.RungBetas, sandwich: true), TeacherBlockLearningRate = 1e-4 };
        }
        using var teacher = Teacher();
        using var straight = new TinyData.RunFolder();
        using var interrupted = new TinyData.RunFolder();

        var (expected, expectedState) = Trainer(straight.Path, teacher, options).Run(train, null, default);
        using (var stop = new TinyData.StopIn(epoch: 2, stage))
        {
            Assert.Throws<OperationCanceledException>(() => Trainer(interrupted.Path, teacher, options).Run(train, stop, stop.Token));
        }
        var (actual, actualState) = Trainer(interrupted.Path, teacher, options).Run(train, null, default);

        TinyData.AssertSameWeights(TinyData.Weights(expected), TinyData.Weights(actual));
        Assert.Equal(expectedState.History.Select(e => e.Loss), actualState.History.Select(e => e.Loss));
        Assert.Equal(3, actualState.Stage);
        expected.Dispose();
        actual.Dispose();
    }

    [Fact]
    public void Evaluate_EveryRungOfALadder_CodesOnlyItsChannels_AndTheTopRungIsTheWholeLatent()
    {
        var images = TinyData.Images(16, seed: 3);
        using var teacher = Teacher();
        using var folder = new TinyData.RunFolder();
        var (student, _) = Trainer(folder.Path, teacher, Options with { Ladder = Ladder }).Run(images, null, default);

        var rungs = StudentEvaluation.Evaluate(student, images, Ladder);
        var whole = StudentEvaluation.Evaluate(student, images);

        Assert.Equal(Ladder.Channels, rungs.Select(r => r.Channels));
        Assert.True(rungs.Zip(rungs.Skip(1)).All(p => p.First.Score.IdealBytes < p.Second.Score.IdealBytes), string.Join(", ", rungs.Select(r => r.Score.IdealBytes)));
        Assert.Equal(whole with { OneStreamBytes = whole.CompactBytes }, rungs[^1].Score);
        Assert.All(rungs.SkipLast(1), r => Assert.Null(r.Score.OneStreamBytes));
        student.Dispose();
    }

    [Fact]
    public void Run_ALadderThatDoesNotEndAtTheLatentsChannels_IsRefused()
    {
        using var teacher = Teacher();
        using var folder = new TinyData.RunFolder();

        var error = Assert.Throws<ArgumentException>(() => Trainer(folder.Path, teacher, Options with { Ladder = new([1, 2]) }).Run(TinyData.Images(8, seed: 1), null, default));
        Assert.Contains("must end at the latent's 4 channels", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("2,1,4")]
    [InlineData("0,4")]
    [InlineData("1,1,4")]
    public void ChannelLadder_NotAscendingAndPositive_IsRefused(string rungs) =>
        Assert.ThrowsAny<ArgumentException>(() => ChannelLadder.Parse(rungs));

    [Theory]
    [InlineData("1,2,4", "1,1")]
    [InlineData("1,2,4", "1,0,1")]
    [InlineData("1,2,4", "1,-2,1")]
    public void ChannelLadder_BetasNotOnePositivePerRung_AreRefused(string rungs, string betas) =>
        Assert.Throws<ArgumentException>(() => ChannelLadder.Parse(rungs, betas));

    [Fact]
    public void ChannelLadder_SandwichWithoutALowerRung_IsRefused() =>
        Assert.Throws<ArgumentException>(() => ChannelLadder.Parse("4", sandwich: true));

    // Uniform rungs: rung i of 4 is seen by (4 − i)/4 of the passes. Sandwich: the top by the
    // half that is the whole latent, rung i below it also by (3 − i)/3 of the other half.
    [Fact]
    public void ChannelBetas_ChargeEachChannelItsRungsBetaTimesTheShareOfPassesThatSeeIt()
    {
        var ladder = ChannelLadder.Parse("1,2,4,6", "0.8,0.4,0.2,0.1");
        var sandwich = ChannelLadder.Parse("1,2,4,6", "0.8,0.4,0.2,0.1", sandwich: true);

        Assert.Equal([0.8, 0.3, 0.1, 0.1, 0.025, 0.025], ladder.ChannelBetas(1).Select(b => Math.Round(b, 6)));
        Assert.Equal([0.8, 0.4 * 5 / 6.0, 0.2 * 4 / 6.0, 0.2 * 4 / 6.0, 0.05, 0.05], sandwich.ChannelBetas(1).Select(b => Math.Round(b, 6)), new RoundedTo6());
        Assert.Equal(new float[6].Select(_ => 0.5f), ChannelLadder.Parse("1,2,4,6").ChannelBetas(0.5));
        Assert.NotEqual(ladder, ChannelLadder.Parse("1,2,4,6"));
        Assert.NotEqual(ladder, sandwich);
        Assert.Equal(ladder, ChannelLadder.Parse("1, 2, 4, 6", "0.8, 0.4, 0.2, 0.1"));
    }

    private sealed class RoundedTo6 : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Round(x, 6) == Math.Round(y, 6);

        public int GetHashCode(double obj) => Math.Round(obj, 6).GetHashCode();
    }

    // A heavier β on the base rung must cost it bits against the same ladder with one β.
    [Fact]
    public void Run_AHeavierBetaOnTheBaseRung_CodesItInFewerBits()
    {
        var images = TinyData.Images(32, seed: 11);
        using var teacher = Teacher();
        double BaseRungBits(ChannelLadder ladder)
        {
            using var folder = new TinyData.RunFolder();
            var (student, _) = Trainer(folder.Path, teacher, Options with { Beta = 0.002, Stage1Epochs = 30, Stage1LearningRate = 1e-2, Stage2Epochs = 1, Ladder = ladder }).Run(images, null, default);
            using (student)
            {
                return StudentEvaluation.Evaluate(student, images, ladder)[0].Score.IdealBytes;
            }
        }

        var even = BaseRungBits(new([1, 2, 4]));
        var heavy = BaseRungBits(new([1, 2, 4], [0.4, 0.002, 0.002]));

        Assert.True(heavy < 0.8 * even, $"base rung {heavy:F2} B with weight 200, {even:F2} B with one β");
    }

    private static StudentTrainer Trainer(string folder, TeacherNet teacher, StudentTrainingOptions options) =>
        new(folder, teacher, options, new StudentConfig(4, 8, 8, options.TeacherBlockLearningRate > 0 ? StudentEncoder.TeacherBlock : StudentEncoder.Compact));

    private static TeacherNet Teacher()
    {
        random.manual_seed(5);
        var teacher = new TeacherNet(new TeacherConfig([8, 16, 32], 1, 10));
        teacher.eval();
        return teacher;
    }
}
