using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using SplitNet.Training.EarlyExit;
using static TorchSharp.torch;

namespace SplitNet.Training.Tests;

[Collection(nameof(TorchCollection))]
public sealed class EarlyExitTrainerTests
{
    private static readonly EarlyExitOptions Options = new(Epochs: 2, BatchSize: 8, CropPadding: 1);

    [Fact]
    public void Run_StoppedInTheSecondEpochAndResumed_EndsWithTheHeadOfAStraightRun()
    {
        var train = TinyData.Images(20, seed: 3);
        var test = TinyData.Images(8, seed: 4);
        var logits = TeacherLogits(train.Count);
        using var straight = new TinyData.RunFolder();
        using var interrupted = new TinyData.RunFolder();

        // Each run loads its own copy of the edge, as each process of a resumed run does.
        using var edge = Edge();
        using var edgeAgain = Edge();
        using var edgeOnceMore = Edge();
        var (expected, expectedAccuracy) = new EarlyExitTrainer(straight.Path, edge, Options).Run(logits, train, test);
        using (var stop = new TinyData.StopIn(epoch: 2))
        {
            Assert.Throws<OperationCanceledException>(() => new EarlyExitTrainer(interrupted.Path, edgeAgain, Options).Run(logits, train, test, stop, stop.Token));
        }
        var (actual, actualAccuracy) = new EarlyExitTrainer(interrupted.Path, edgeOnceMore, Options).Run(logits, train, test);

        TinyData.AssertSameWeights(TinyData.Weights(expected), TinyData.Weights(actual));
        Assert.Equal(expectedAccuracy, actualAccuracy);
        expected.Dispose();
        actual.Dispose();
    }

    [Fact]
    public void Run_FolderOfAnotherEdge_IsRefused()
    {
        var train = TinyData.Images(8, seed: 5);
        var logits = TeacherLogits(train.Count);
        using var folder = new TinyData.RunFolder();
        using var first = Edge();
        new EarlyExitTrainer(folder.Path, first, Options with { Epochs = 1 }).Run(logits, train, train).Head.Dispose();
        random.manual_seed(99);
        using var other = new EntropicStudent(new StudentConfig(4, 8, 8), new TeacherConfig([8, 16, 32], 1, 10));

        Assert.Throws<InvalidOperationException>(() => new EarlyExitTrainer(folder.Path, other, Options with { Epochs = 1 }).Run(logits, train, train));
    }

    private static EntropicStudent Edge()
    {
        random.manual_seed(11);
        return new EntropicStudent(new StudentConfig(4, 8, 8), new TeacherConfig([8, 16, 32], 1, 10));
    }

    private static float[] TeacherLogits(int images)
    {
        var random = new Random(6);
        return [.. Enumerable.Range(0, images * 10).Select(_ => (float)(random.NextDouble() * 6 - 3))];
    }
}
