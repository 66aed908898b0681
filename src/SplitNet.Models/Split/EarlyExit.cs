using SplitNet.Codec;
using TorchSharp;
using static TorchSharp.torch;

namespace SplitNet.Models.Split;

/// <summary>
/// A small classifier the edge runs on ŷ of one rate level; when it is confident the frame need
/// not be sent. It reads the same ŷ the server would decode (symbols + medians).
/// </summary>
public sealed class EarlyExit(nn.Module<Tensor, Tensor> head, LatentShape latent) : IDisposable
{
    /// <summary>The head's softmax on one frame's ŷ of <paramref name="length"/> along the variable axis.</summary>
    public float[] Probabilities(ReadOnlySpan<float> yHat, int length)
    {
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var x = tensor(yHat.ToArray(), [1, .. latent.Resolve(length).Select(d => (long)d)]);
        return nn.functional.softmax(head.call(x), 1).data<float>().ToArray();
    }

    public void Dispose() => head.Dispose();
}
