using SplitNet.Codec;

namespace SplitNet.Models.Split;

/// <summary>
/// The device side of one rate level of a split model: input → latent symbols, ready for the
/// level's <see cref="Codec.Entropy.EntropyModel"/>. Whatever runs the network (TorchSharp inside
/// one inference-mode dispose scope per call, or an ONNX Runtime session), it returns managed arrays only.
/// </summary>
/// <remarks>Not thread-safe: use an instance from one thread.</remarks>
public interface IEdgePart : IDisposable
{
    InputKind Input { get; }

    /// <summary>The latent's shape rule; <see cref="EdgeLatent.Length"/> resolves a variable axis.</summary>
    LatentShape Latent { get; }

    EdgeLatent Encode(SplitInput input);
}

/// <summary>One frame's latent as the edge part leaves it.</summary>
/// <param name="Symbols">s = round(y − median), channel-major: <c>Latent.Elements(Length)</c> of them.</param>
/// <param name="Length">Length along the variable axis (the fixed length when the shape is fixed).</param>
public sealed record EdgeLatent(int[] Symbols, int Length);
