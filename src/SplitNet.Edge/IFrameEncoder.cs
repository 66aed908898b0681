using SplitNet.Contracts.V1;
using SplitNet.Models.Split;

namespace SplitNet.Edge;

/// <summary>The device side of a split model: turns one input into the bytes of one frame.</summary>
/// <remarks>Implementations run TorchSharp and are used from one thread only.</remarks>
public interface IFrameEncoder
{
    /// <summary>Identity to declare when a stream opens (latent streams), or null for self-describing payloads.</summary>
    StreamOpen? Open { get; }

    /// <summary>Model id the frames are for.</summary>
    string ModelId { get; }

    /// <summary>Rate levels the encoder offers (1 for feature payloads).</summary>
    int Levels => 1;

    /// <summary>The level the next frames are coded at.</summary>
    uint RateLevel { get => 0; set { } }

    /// <summary>Runs the edge part on one input and codes the result.</summary>
    EncodedFrame Encode(SplitInput input);
}

/// <summary>
/// A coded frame, the rate level it was coded at (0 for feature payloads), its length along the
/// model's variable latent axis (0 when the shape is fixed), where the level has an early-exit
/// head, that head's softmax on the same latent, and for an embedded model the end of each
/// segment in the payload (level k's frame is the first <c>SegmentEnds[k]</c> bytes).
/// </summary>
public readonly record struct EncodedFrame(byte[] Payload, uint RateLevel, float[]? EarlyExit = null, uint LatentLength = 0, int[]? SegmentEnds = null)
{
    /// <summary>Whether a lower level is a cut of these bytes (<see cref="AtLevel"/>), not another coding.</summary>
    public bool IsEmbedded => SegmentEnds is not null;

    /// <summary>This embedded frame at a lower level: the prefix of its first <paramref name="level"/> + 1 segments.</summary>
    public EncodedFrame AtLevel(uint level)
    {
        if (SegmentEnds is not { } ends || level > RateLevel)
        {
            throw new InvalidOperationException($"a frame at level {RateLevel}{(SegmentEnds is null ? " that is not embedded" : "")} has no prefix at level {level}");
        }
        return this with { Payload = Payload[..ends[level]], RateLevel = level, SegmentEnds = ends[..((int)level + 1)] };
    }

    /// <summary>This frame as one message at its level, however the client sends segments.</summary>
    public EncodedFrame Whole() => this with { SegmentEnds = null };
}
