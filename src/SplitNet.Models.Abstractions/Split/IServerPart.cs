using SplitNet.Codec;

namespace SplitNet.Models.Split;

/// <summary>
/// The server side of one rate level (or split point) of a split model: a batch of decoded
/// latents ŷ → typed outputs. Whatever runs the network (TorchSharp inside one inference-mode
/// dispose scope per call, or an ONNX Runtime session), it returns managed arrays only.
/// </summary>
/// <remarks>Called from inference worker threads, one call at a time per thread.</remarks>
public interface IServerPart : IDisposable
{
    /// <summary>The latent's shape rule.</summary>
    LatentShape Latent { get; }

    OutputKind Output { get; }

    /// <summary>Probabilities per frame (0 when <see cref="Output"/> has none).</summary>
    int Classes { get; }

    /// <summary>Embedding size (0 when <see cref="Output"/> has none).</summary>
    int EmbeddingSize { get; }

    /// <summary>
    /// Runs the deep layers on <c>lengths.Length</c> frames. Frame i's ŷ is laid out channel-major
    /// as (C, <paramref name="paddedLength"/>, …) in <paramref name="yHat"/>, zero past
    /// <c>lengths[i]</c> along the variable axis; a part masks the padding out.
    /// </summary>
    SplitOutput Run(ReadOnlySpan<float> yHat, ReadOnlySpan<int> lengths, int paddedLength);
}

/// <summary>A batch's outputs, frame after frame: count × classes and count × embedding size.</summary>
public sealed record SplitOutput(float[]? Probabilities, float[]? Embeddings);
