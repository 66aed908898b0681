using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SplitNet.Models.Teacher;

/// <summary>
/// ResNet-style Fashion-MNIST classifier that can be cut after any named stage.
/// </summary>
/// <remarks>
/// <code>
/// x (1x28x28) ─► stem ─► stage1 ─► stage2 ─► stage3 ─► head ─► logits (10)
///                32x28x28  32x28x28  64x14x14  128x7x7   pool+linear
/// </code>
/// <see cref="Run"/> executes a contiguous range of stages, which is all a split needs: the edge
/// runs stem..k, the server runs k+1..head.
/// </remarks>
public sealed class TeacherNet : Module<Tensor, Tensor>
{
    private readonly Sequential stem, stage1, stage2, stage3, head;

    public TeacherNet(TeacherConfig config) : base(nameof(TeacherNet))
    {
        Config = config;
        stem = Build(config, TeacherStage.Stem);
        stage1 = Build(config, TeacherStage.Stage1);
        stage2 = Build(config, TeacherStage.Stage2);
        stage3 = Build(config, TeacherStage.Stage3);
        head = Build(config, TeacherStage.Head);
        RegisterComponents();
    }

    public TeacherConfig Config { get; }

    public override Tensor forward(Tensor x) => Run(x, TeacherStage.Stem, TeacherStage.Head);

    /// <summary>Runs stages <paramref name="first"/> through <paramref name="last"/> inclusive.</summary>
    public Tensor Run(Tensor x, TeacherStage first, TeacherStage last)
    {
        if (last < first)
        {
            throw new ArgumentException($"Stage range {first}..{last} is empty.");
        }
        using var scope = NewDisposeScope();
        var y = x;
        for (var stage = first; stage <= last; stage++)
        {
            y = Stage(stage).call(y);
        }
        return (ReferenceEquals(y, x) ? x.alias() : y).MoveToOuterDisposeScope();
    }

    /// <summary>The module of one named stage.</summary>
    public Module<Tensor, Tensor> Stage(TeacherStage stage) => stage switch
    {
        TeacherStage.Stem => stem,
        TeacherStage.Stage1 => stage1,
        TeacherStage.Stage2 => stage2,
        TeacherStage.Stage3 => stage3,
        TeacherStage.Head => head,
        _ => throw new ArgumentOutOfRangeException(nameof(stage)),
    };

    /// <summary>A fresh, untrained module of one named stage (the layout every teacher copy shares).</summary>
    public static Sequential Build(TeacherConfig config, TeacherStage stage)
    {
        var w = config.Widths;
        return stage switch
        {
            TeacherStage.Stem => Sequential(Conv2d(1, w[0], 3, padding: 1, bias: false), BatchNorm2d(w[0]), ReLU()),
            TeacherStage.Stage1 => Blocks(w[0], w[0], config.BlocksPerStage, stride: 1),
            TeacherStage.Stage2 => Blocks(w[0], w[1], config.BlocksPerStage, stride: 2),
            TeacherStage.Stage3 => Blocks(w[1], w[2], config.BlocksPerStage, stride: 2),
            TeacherStage.Head => Sequential(AdaptiveAvgPool2d(1), Flatten(), Linear(w[2], config.Classes)),
            _ => throw new ArgumentOutOfRangeException(nameof(stage)),
        };
    }

    private static Sequential Blocks(int inChannels, int outChannels, int blocks, int stride)
    {
        var modules = new List<Module<Tensor, Tensor>> { new BasicBlock(inChannels, outChannels, stride) };
        for (int i = 1; i < blocks; i++)
        {
            modules.Add(new BasicBlock(outChannels, outChannels, 1));
        }
        return Sequential(modules);
    }
}
