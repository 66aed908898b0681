using SplitNet.Codec;
using SplitNet.Models.Split;
using SplitNet.Server.Serving;

namespace SplitNet.Server.Inference;

/// <summary>
/// What the batcher runs: one server part (a rate level or split point) of one served model
/// version. Jobs for the same target and the same padded length form a batch.
/// </summary>
internal sealed class InferenceTarget(ServedModel model, IServerPart part)
{
    public ServedModel Model { get; } = model;
    public IServerPart Part { get; } = part;
    public LatentShape Latent => Part.Latent;

    /// <summary>The length a frame of <paramref name="length"/> is padded to in a batch (<see cref="LatentShape.PaddedLength"/>).</summary>
    public int PaddedLength(int length) => Latent.PaddedLength(length);

    /// <summary>Runs a batch; see <see cref="IServerPart.Run"/>.</summary>
    public SplitOutput Run(ReadOnlySpan<float> yHat, ReadOnlySpan<int> lengths, int paddedLength) => Part.Run(yHat, lengths, paddedLength);
}

/// <summary>A batch of jobs: one target, one padded length.</summary>
internal readonly record struct BatchKey(InferenceTarget Target, int PaddedLength);
