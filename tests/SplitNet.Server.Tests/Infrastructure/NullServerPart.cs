using SplitNet.Codec;
using SplitNet.Models.Split;

namespace SplitNet.Server.Tests;

/// <summary>A server part that computes nothing: for tests of the queue around it.</summary>
internal sealed class NullServerPart(LatentShape? latent = null) : IServerPart
{
    public LatentShape Latent { get; } = latent ?? new([1]);
    public OutputKind Output => OutputKind.Probabilities;
    public int Classes => 1;
    public int EmbeddingSize => 0;
    public SplitOutput Run(ReadOnlySpan<float> yHat, ReadOnlySpan<int> lengths, int paddedLength) => new(new float[lengths.Length], null);
    public void Dispose()
    {
    }
}
