using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SplitNet.Models.Student;

/// <summary>
/// A small classifier on the edge that reads the dequantized latent ŷ of one rate level: two
/// 3×3 convolutions, global average pooling and a linear layer (about 0.7 M MACs). Trained by
/// distillation from the teacher; when it is confident the frame need not be sent at all.
/// </summary>
public sealed class EarlyExitHead : Module<Tensor, Tensor>
{
    public const int Width = 32;

#pragma warning disable IDE1006 // Names follow the state-dict keys.
    private readonly Sequential features;
    private readonly Linear classifier;
#pragma warning restore IDE1006

    public EarlyExitHead(int latentChannels, int classes) : base(nameof(EarlyExitHead))
    {
        features = nn.Sequential(
            nn.Conv2d(latentChannels, Width, 3, padding: 1),
            nn.ReLU(),
            nn.Conv2d(Width, Width, 3, padding: 1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten());
        classifier = nn.Linear(Width, classes);
        RegisterComponents();
    }

    /// <summary>Class logits for ŷ of shape (N, C, 7, 7).</summary>
    public override Tensor forward(Tensor yHat) => classifier.call(features.call(yHat));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            features.Dispose();
            classifier.Dispose();
        }
        base.Dispose(disposing);
    }
}
