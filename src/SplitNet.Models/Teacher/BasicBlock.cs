using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SplitNet.Models.Teacher;

/// <summary>
/// The ResNet basic block (He et al., 2016): two 3x3 conv+BN with an identity shortcut, or a
/// strided 1x1 conv+BN shortcut where the shape changes.
/// </summary>
internal sealed class BasicBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1, conv2;
    private readonly BatchNorm2d bn1, bn2;
    private readonly Sequential? shortcut;

    public BasicBlock(int inChannels, int outChannels, int stride) : base(nameof(BasicBlock))
    {
        conv1 = Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(outChannels);
        conv2 = Conv2d(outChannels, outChannels, 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(outChannels);
        if (stride != 1 || inChannels != outChannels)
        {
            shortcut = Sequential(
                Conv2d(inChannels, outChannels, 1, stride: stride, bias: false),
                BatchNorm2d(outChannels));
        }
        RegisterComponents();
    }

    internal Conv2d Conv1 => conv1;
    internal BatchNorm2d Norm1 => bn1;
    internal Conv2d Conv2 => conv2;
    internal BatchNorm2d Norm2 => bn2;

    /// <summary>The 1x1 conv+BN shortcut, or null for the identity.</summary>
    internal Sequential? Shortcut => shortcut;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = functional.relu(bn1.call(conv1.call(x)));
        y = bn2.call(conv2.call(y));
        var identity = shortcut is null ? x : shortcut.call(x);
        return functional.relu(y.add_(identity, Layers.Alpha.One)).MoveToOuterDisposeScope();
    }
}
