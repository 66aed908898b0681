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
/// With <see cref="StudentEncoder.TeacherStem"/>, <c>g_a</c> starts with the teacher's stem and
/// stage 1 instead of the first conv5x5/GDN1 pair.
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
        if (config.Encoder != StudentEncoder.Compact)
        {
            int w1 = teacher.Widths[0], w2 = teacher.Widths[1];
            TeacherLayers = config.Encoder == StudentEncoder.TeacherStem
                ? [TeacherNet.Build(teacher, TeacherStage.Stem), TeacherNet.Build(teacher, TeacherStage.Stage1)]
                : [TeacherNet.Build(teacher, TeacherStage.Stem), TeacherNet.Build(teacher, TeacherStage.Stage1), Sequential(new BasicBlock(w1, w2, 2))];
            Module<Tensor, Tensor> first = config.Encoder == StudentEncoder.TeacherStem
                ? Conv2d(w1, e, 3, stride: 2, padding: 1, bias: false)
                : Conv2d(w2, e, 3, stride: 2, padding: 1, bias: false);
            Module<Tensor, Tensor> last = Conv2d(e, n, 3, stride: config.Encoder == StudentEncoder.TeacherStem ? 2 : 1, padding: 1, bias: false);
            _afterStage1 = [.. TeacherLayers.Skip(2), first, new Gdn1(e), last];
            g_a = Sequential([TeacherLayers[0], TeacherLayers[1], .. _afterStage1]);
        }
        else
        {
            g_a = Sequential(
                Conv2d(1, e, 5, stride: 2, padding: 2, bias: false),
                new Gdn1(e),
                Conv2d(e, e, 5, stride: 2, padding: 2, bias: false),
                new Gdn1(e),
                Conv2d(e, n, 3, padding: 1, bias: false));
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

    /// <summary>The teacher's layers at the start of <c>g_a</c> (stem, stage 1, maybe stage 2's first block), else empty; never trained.</summary>
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
            throw new InvalidOperationException("Only a teacher-stem encoder starts from the teacher's stage-1 feature.");
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
