using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SplitNet.Models.Layers;

/// <summary>
/// MobileNetV2's inverted residual with a linear bottleneck (Sandler et al., CVPR 2018): a 1×1
/// expansion by <c>t</c>, a 3×3 depthwise convolution (the stride), a 1×1 linear projection,
/// batch norm after each and ReLU6 after the first two; the input is added back when the shape
/// allows. Its cost is nearly all in the two 1×1 layers, about a ninth of a full 3×3 convolution's.
/// </summary>
public sealed class InvertedResidual : Module<Tensor, Tensor>
{
    private readonly Sequential block;
    private readonly bool _residual;

    public InvertedResidual(int input, int output, int stride, int expansion) : base(nameof(InvertedResidual))
    {
        int hidden = input * expansion;
        block = Sequential(
            Conv2d(input, hidden, 1, bias: false), BatchNorm2d(hidden), ReLU6(),
            Conv2d(hidden, hidden, 3, stride: stride, padding: 1, groups: hidden, bias: false), BatchNorm2d(hidden), ReLU6(),
            Conv2d(hidden, output, 1, bias: false), BatchNorm2d(output));
        _residual = stride == 1 && input == output;
        RegisterComponents();
    }

    /// <summary>Expansion, depthwise and projection layers with their batch norms and ReLU6s, in order.</summary>
    public Sequential Block => block;

    /// <summary>Whether the input is added to the block's output (stride 1, as many channels out as in).</summary>
    public bool Residual => _residual;

    public override Tensor forward(Tensor x) => _residual ? x.add(block.call(x), Alpha.One) : block.call(x);
}
