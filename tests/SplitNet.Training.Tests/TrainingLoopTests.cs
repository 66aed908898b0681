using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace SplitNet.Training.Tests;

[Collection(nameof(TorchCollection))]
public sealed class TrainingLoopTests
{
    private const int Epochs = 2;

    [Fact]
    public void Run_StoppedInTheSecondEpochAndResumedByANewLoop_EndsWithTheWeightsOfAStraightRun()
    {
        var train = TinyData.Images(20, seed: 1);
        using var straight = new TinyData.RunFolder();
        using var interrupted = new TinyData.RunFolder();

        var (expected, expectedState) = Train(straight.Path, train, null, default);
        using (var stop = new TinyData.StopIn(epoch: 2))
        {
            Assert.Throws<OperationCanceledException>(() => Train(interrupted.Path, train, stop, stop.Token));
        }
        Assert.Equal(1, EpochsOnDisk(interrupted.Path)); // the second epoch's steps so far are lost, as in a kill
        var (actual, actualState) = Train(interrupted.Path, train, null, default);

        TinyData.AssertSameWeights(expected, actual);
        Assert.Equal(expectedState.Losses, actualState.Losses);
        Assert.Equal(Epochs, actualState.EpochsDone);
    }

    [Fact]
    public void Run_FinishedRunStartedAgain_TrainsNoFurtherAndKeepsItsWeights()
    {
        var train = TinyData.Images(12, seed: 2);
        using var folder = new TinyData.RunFolder();
        var (first, _) = Train(folder.Path, train, null, default);

        var (again, state) = Train(folder.Path, train, null, default);

        TinyData.AssertSameWeights(first, again);
        Assert.Equal(Epochs, state.Losses.Count);
    }

    // Dropout draws from torch's generator and the cosine schedule depends on its step count, so
    // a resume that lost either (or the optimiser's moments, or the data order) ends elsewhere.
    private static (Dictionary<string, float[]> Weights, TinyState State) Train(
        string folder, LabeledImages train, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        var loop = new TrainingLoop(folder, "model.safetensors", seed: 7, batchSize: 8);
        using var model = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(28 * 28, 10));
        var optimizer = optim.Adam(model.parameters(), 1e-2);
        var state = loop.Resume(model, _ => true, () => new TinyState());
        state = loop.Run(state, model, new TrainingStage<TinyState, TrainingBatch>
        {
            Epochs = Epochs,
            Optimizer = optimizer,
            Schedule = total => optim.lr_scheduler.CosineAnnealingLR(optimizer, total),
            Loss = batch => nn.functional.cross_entropy(model.call(batch.Images), batch.Labels),
            Advance = (s, epoch) => s with { EpochsDone = epoch.Epoch, Losses = [.. s.Losses, epoch.Loss] },
        }, new ImageTrainingData(train, cropPadding: 2), progress, cancellation);
        return (TinyData.Weights(model), state);
    }

    private static int EpochsOnDisk(string folder) =>
        BundleJson.Read<TinyState>(Path.Combine(folder, "state.json")).EpochsDone;
}

internal sealed record TinyState : ITrainingState
{
    public int EpochsDone { get; init; }

    public List<double> Losses { get; init; } = [];
}
