using SplitNet.Contracts.V1;

namespace SplitNet.Edge;

/// <summary>The device side of a split model: turns one image into the bytes of one frame.</summary>
/// <remarks>Implementations run TorchSharp and are used from one thread only.</remarks>
public interface IFrameEncoder
{
    /// <summary>Identity to declare when a stream opens (latent streams), or null for self-describing payloads.</summary>
    StreamOpen? Open { get; }

    /// <summary>Model id the frames are for.</summary>
    string ModelId { get; }

    /// <summary>Runs the head on one 28x28 8-bit image and codes the result.</summary>
    EncodedFrame Encode(ReadOnlySpan<byte> pixels);
}

/// <summary>A coded frame and the rate level it was coded at (0 for feature payloads).</summary>
public readonly record struct EncodedFrame(byte[] Payload, uint RateLevel);
