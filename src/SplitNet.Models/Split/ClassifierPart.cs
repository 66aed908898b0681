using SplitNet.Codec;
using static TorchSharp.torch;

namespace SplitNet.Models.Split;

/// <summary>
/// A server part that answers with class probabilities only, on a fixed latent: the batch becomes
/// one (N, …latent) tensor, <see cref="Logits"/> runs on it and the softmax is copied out.
/// </summary>
public abstract class ClassifierPart(LatentShape latent, int classes) : IServerPart
{
    private readonly long[] _shape = [.. latent.Dimensions.Select(d => (long)d)];

    public LatentShape Latent { get; } = latent;
    public OutputKind Output => OutputKind.Probabilities;
    public int Classes { get; } = classes;
    public int EmbeddingSize => 0;

    /// <summary>The deep layers: logits (N, classes) for ŷ (N, …latent).</summary>
    protected abstract Tensor Logits(Tensor yHat);

    public SplitOutput Run(ReadOnlySpan<float> yHat, ReadOnlySpan<int> lengths, int paddedLength)
    {
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var x = tensor(yHat.ToArray(), [lengths.Length, .. _shape]);
        return new SplitOutput(nn.functional.softmax(Logits(x), 1).data<float>().ToArray(), null);
    }

    public abstract void Dispose();
}
