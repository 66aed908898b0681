using SplitNet.Models.Entropy;
using SplitNet.Models.Layers;
using SplitNet.Models.Teacher;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SplitNet.Models.Student;

/// <summary>
/// The Entropic Student (Matsubara et al., WACV 2022) for the Fashion-MNIST teacher: a small
/// encoder replaces the teacher's stem, stage 1 and stage 2; its latent is entropy-coded with a
/// factorized prior; a decoder rebuilds the teacher's stage-2 feature for the teacher's tail.
/// </summary>
/// <remarks>
/// With <see cref="StudentEncoder.TeacherStem"/> or <see cref="StudentEncoder.TeacherBlock"/>,
/// <c>g_a</c> starts with frozen copies of the teacher's first layers instead of the first
/// conv5x5/GDN1 pair (see <see cref="StudentEncoder"/>).
/// <code>
/// x ─► g_a ─► y ─► Q ─► ŷ ─► EB (rANS) ···► ŷ ─► g_s ─► h (64x14x14) ─► stage3 ─► head ─► logits
///      conv5x5/2 GDN1 conv5x5/2 GDN1 conv3x3      conv3x3 IGDN1 up×2 conv3x3 IGDN1 conv3x3
/// </code>
/// </remarks>
public sealed class EntropicStudent : Module<Tensor, Tensor>
{
    private readonly Sequential g_a, g_s;
    private readonly EntropyBottleneck entropy_bottleneck;
    private readonly TeacherNet tail;
    private readonly Module<Tensor, Tensor>[] _afterStage1 = [];

    public EntropicStudent(StudentConfig config, TeacherConfig teacher) : base(nameof(EntropicStudent))
    {
        Config = config;
        int n = config.LatentChannels, e = config.EncoderWidth, d = config.DecoderWidth;
        if (config.Encoder == StudentEncoder.Compact)
        {
            g_a = Sequential(
                Conv2d(1, e, 5, stride: 2, padding: 2, bias: false),
                new Gdn1(e),
                Conv2d(e, e, 5, stride: 2, padding: 2, bias: false),
                new Gdn1(e),
                Conv2d(e, n, 3, padding: 1, bias: false));
        }
        else if (config.Encoder == StudentEncoder.Mobile)
        {
            int wide = e * 3 / 2;
            g_a = Sequential(
                Conv2d(1, e, 3, stride: 2, padding: 1, bias: false), BatchNorm2d(e), ReLU6(),
                new InvertedResidual(e, e, 1, 4),
                new InvertedResidual(e, wide, 2, 4),
                new InvertedResidual(wide, wide, 1, 4),
                new InvertedResidual(wide, wide, 1, 4),
                Conv2d(wide, n, 1, bias: false));
        }
        else
        {
            // teacher-stem compresses stage 1's 28x28 feature in two strided steps; teacher-block
            // adds stage 2's first block (14x14) and needs one.
            bool block = config.Encoder == StudentEncoder.TeacherBlock;
            int width = block ? teacher.Widths[1] : teacher.Widths[0];
            TeacherLayers = block
                ? [TeacherNet.Build(teacher, TeacherStage.Stem), TeacherNet.Build(teacher, TeacherStage.Stage1), Sequential(new BasicBlock(teacher.Widths[0], width, 2))]
                : [TeacherNet.Build(teacher, TeacherStage.Stem), TeacherNet.Build(teacher, TeacherStage.Stage1)];
            foreach (var p in TeacherLayers.SelectMany(layer => layer.parameters()))
            {
                p.requires_grad = false;
            }
            _afterStage1 = [.. TeacherLayers.Skip(2), Conv2d(width, e, 3, stride: 2, padding: 1, bias: false), new Gdn1(e), Conv2d(e, n, 3, stride: block ? 1 : 2, padding: 1, bias: false)];
            g_a = Sequential([TeacherLayers[0], TeacherLayers[1], .. _afterStage1]);
        }
        entropy_bottleneck = new EntropyBottleneck(n);
        g_s = Sequential(
            Conv2d(n, d, 3, padding: 1, bias: false),
            new Gdn1(d, inverse: true),
            Upsample(scale_factor: [2.0, 2.0], mode: UpsampleMode.Nearest),
            Conv2d(d, d, 3, padding: 1, bias: false),
            new Gdn1(d, inverse: true),
            Conv2d(d, teacher.Widths[1], 3, padding: 1, bias: false));
        tail = new TeacherNet(teacher);
        RegisterComponents();
    }

    public StudentConfig Config { get; }

    /// <summary>The teacher's layers at the start of <c>g_a</c> (stem, stage 1, maybe stage 2's first block), else empty; frozen.</summary>
    public IReadOnlyList<Sequential> TeacherLayers { get; } = [];
    public Sequential Encoder => g_a;
    public Sequential Decoder => g_s;
    public EntropyBottleneck Bottleneck => entropy_bottleneck;

    /// <summary>The teacher copy whose stage 3 and head form the tail.</summary>
    public TeacherNet Tail => tail;

    /// <summary>What the edge runs and ships: <c>g_a</c> and the entropy model (tables, medians).</summary>
    public torch.nn.Module EdgePart() => new ModuleView(("g_a", g_a), ("entropy_bottleneck", entropy_bottleneck));

    /// <summary>What the server runs and ships: the entropy model, <c>g_s</c> and the tail (stage 3 and head).</summary>
    public torch.nn.Module ServerPart() => new ModuleView(
        ("entropy_bottleneck", entropy_bottleneck),
        ("g_s", g_s),
        ("tail", new ModuleView(("stage3", tail.Stage(TeacherStage.Stage3)), ("head", tail.Stage(TeacherStage.Head)))));

    /// <summary>
    /// The rest of <c>g_a</c> on the teacher's stage-1 feature, so training can share that feature
    /// with the teacher's own forward (teacher-layer encoders only).
    /// </summary>
    public Tensor EncodeStage1Feature(Tensor h1)
    {
        if (TeacherLayers.Count == 0)
        {
            throw new InvalidOperationException("Only an encoder built on the teacher's layers starts from its stage-1 feature.");
        }
        using var scope = NewDisposeScope();
        var y = h1;
        foreach (var layer in _afterStage1)
        {
            y = layer.call(y);
        }
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>Copies the teacher's weights into the tail and into <see cref="TeacherLayers"/>.</summary>
    public void LoadTeacher(TeacherNet teacher)
    {
        tail.load_state_dict(teacher.state_dict());
        for (int i = 0; i < TeacherLayers.Count; i++)
        {
            var weights = teacher.Stage((TeacherStage)i).state_dict();
            if (i == (int)TeacherStage.Stage2)
            {
                // Only the first block of the teacher's stage 2.
                weights = weights.Where(w => w.Key.StartsWith("0.", StringComparison.Ordinal)).ToDictionary();
            }
            TeacherLayers[i].load_state_dict(weights);
        }
    }

    /// <inheritdoc/>
    /// <remarks>The teacher's layers in <c>g_a</c> stay in eval mode: their batch norms keep the teacher's statistics.</remarks>
    public override void train(bool train = true)
    {
        base.train(train);
        foreach (var layer in TeacherLayers)
        {
            layer.eval();
        }
    }

    /// <summary>Inference: encode, quantize around the medians, decode, classify.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var yHat = entropy_bottleneck.Quantize(g_a.call(x), QuantizationMode.Dequantize);
        return Classify(yHat).MoveToOuterDisposeScope();
    }

    /// <summary>Decoder and tail on a (dequantized) latent.</summary>
    public Tensor Classify(Tensor yHat)
    {
        using var scope = NewDisposeScope();
        return tail.Run(g_s.call(yHat), TeacherStage.Stage3, TeacherStage.Head).MoveToOuterDisposeScope();
    }
}
