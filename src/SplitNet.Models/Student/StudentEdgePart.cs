using SplitNet.Codec;
using SplitNet.Models.Data;
using SplitNet.Models.Entropy;
using SplitNet.Models.Split;
using static TorchSharp.torch;

namespace SplitNet.Models.Student;

/// <summary>The edge part of one student level: g_a on a 28×28 image, rounded around the medians.</summary>
/// <param name="owner">What disposing the part releases: the student itself, unless levels share it.</param>
internal sealed class StudentEdgePart(EntropicStudent student, IDisposable? owner = null) : IEdgePart
{
    public InputKind Input => InputKind.Image;
    public LatentShape Latent { get; } = student.Config.Latent;
    internal EntropicStudent Student => student;

    public EdgeLatent Encode(SplitInput input)
    {
        input.Expect(InputKind.Image);
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var y = student.Encoder.call(ImageTensors.Single(input.Pixels, FashionMnist.Height, FashionMnist.Width));
        return new EdgeLatent(student.Bottleneck.Quantize(y, QuantizationMode.Symbols).data<int>().ToArray(), StudentConfig.LatentSize);
    }

    public void Dispose() => (owner ?? student).Dispose();
}
