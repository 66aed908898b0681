using SplitNet.Codec;
using TorchSharp;
using static TorchSharp.torch;

namespace SplitNet.Models.Split;

/// <summary>An <see cref="EarlyExitHead"/> in TorchSharp on one model's latent.</summary>
public sealed class EarlyExit(nn.Module<Tensor, Tensor> head, LatentShape latent) : IEarlyExit
{
    /// <summary>Wraps a bundle's heads by level, keeping the levels without one as null.</summary>
    public static IReadOnlyList<IEarlyExit?> All(IReadOnlyList<Student.EarlyExitHead?> heads, LatentShape latent) =>
        [.. heads.Select(h => h is null ? null : (IEarlyExit)new EarlyExit(h, latent))];

    public float[] Probabilities(ReadOnlySpan<float> yHat, int length)
    {
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var x = tensor(yHat.ToArray(), [1, .. latent.Resolve(length).Select(d => (long)d)]);
        return nn.functional.softmax(head.call(x), 1).data<float>().ToArray();
    }

    public void Dispose() => head.Dispose();
}
