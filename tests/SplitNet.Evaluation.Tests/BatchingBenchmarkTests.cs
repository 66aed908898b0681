using SplitNet.Codec;

namespace SplitNet.Evaluation.Tests;

public sealed class BatchingBenchmarkTests
{
    private static readonly BatchingBenchmarkOptions Options = new(Frames: 500, BatchSize: 16);

    [Fact]
    public void Policies_EveryFrameRunsOnceInABatchNoShorterThanItself()
    {
        var benchmark = new BatchingBenchmark(Options);
        var lengths = benchmark.Lengths();

        foreach (var policy in benchmark.Policies(lengths))
        {
            Assert.Equal(Enumerable.Range(0, lengths.Length), policy.Batches.SelectMany(b => b.Frames).Order());
            Assert.All(policy.Batches, b => Assert.InRange(b.Frames.Length, 1, Options.BatchSize));
            Assert.All(policy.Batches, b => Assert.All(b.Frames, f => Assert.True(lengths[f] <= b.Padded, $"{policy.Name}: frame {f} longer than its batch")));
            Assert.All(Enumerable.Range(0, lengths.Length), f => Assert.True(policy.Dispatched[f] >= f, $"{policy.Name}: frame {f} ran before it arrived"));
        }
    }

    [Fact]
    public void Policies_ShippedBucketsAreTheServersPaddingAndExactBucketsPadNothing()
    {
        var benchmark = new BatchingBenchmark(Options);
        var lengths = benchmark.Lengths();
        var policies = benchmark.Policies(lengths);
        var latent = new LatentShape([1, Options.MaxLength], variableAxis: 1);

        Assert.All(policies[2].Batches, b => Assert.All(b.Frames, f => Assert.Equal(latent.PaddedLength(lengths[f]), b.Padded)));
        Assert.All(policies[3].Batches, b => Assert.All(b.Frames, f => Assert.Equal(lengths[f], b.Padded)));
        Assert.All(policies[0].Batches, b => Assert.Equal(Options.MaxLength, b.Padded));
        Assert.InRange(lengths.Min(), Options.MinLength, Options.MaxLength);
        Assert.InRange(lengths.Max(), Options.MinLength, Options.MaxLength);
    }
}
