namespace SplitNet.Training.Tests;

public sealed class EpochSeedTests
{
    [Fact]
    public void Of_SameInputs_GivesTheValuePinnedHereInEveryProcess()
    {
        // Pinned: a seed that varied between processes (as HashCode.Combine's does) fails here.
        Assert.Equal(PinnedSeed, EpochSeed.Of(1, 0, 1));
    }

    [Fact]
    public void Of_NeighbouringStagesAndEpochs_GiveDistinctSeeds()
    {
        var seeds = new HashSet<int>();
        for (int stage = 0; stage < 3; stage++)
        {
            for (int epoch = 1; epoch <= 20; epoch++)
            {
                Assert.True(seeds.Add(EpochSeed.Of(1, stage, epoch)), $"stage {stage} epoch {epoch} repeats a seed");
            }
        }
    }

    private const int PinnedSeed = -2043004659;
}
