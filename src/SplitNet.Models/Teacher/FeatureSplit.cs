using SplitNet.Codec;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Split;
using static TorchSharp.torch;

namespace SplitNet.Models.Teacher;

/// <summary>
/// The teacher itself as a split model: the edge runs its stages up to a split point and sends the
/// feature with a feature codec (float32, or 8-bit affine + LZ4, <see cref="FeatureCodec"/>); the
/// server continues from the next stage. Every stage boundary before the head is a split point.
/// </summary>
public static class FeatureSplit
{
    /// <summary>The split points of a teacher, in order.</summary>
    public static IReadOnlyList<FeatureSplitPoint> Points(TeacherConfig config) =>
        [.. Enumerable.Range(0, (int)TeacherStage.Head).Select(s =>
            new FeatureSplitPoint((byte)s, ((TeacherStage)s).ToString().ToLowerInvariant(), new LatentShape(config.FeatureShape((TeacherStage)s))))];

    /// <summary>The teacher's input split point: the 8-bit image, the whole teacher on the server.</summary>
    public static FeatureSplitPoint Input { get; } = FeatureSplitPoint.Input(1, FashionMnist.Height, FashionMnist.Width);

    /// <summary>The affine that maps an 8-bit pixel to the teacher's input (<see cref="ImageTensors.Normalize"/>), for image payloads.</summary>
    public static (float Scale, float Offset) InputAffine => (ImageTensors.Normalize(1) - ImageTensors.Normalize(0), ImageTensors.Normalize(0));

    /// <summary>The server side of the server-only deployment: the whole teacher on the normalised image.</summary>
    public static IServerPart Whole(TeacherNet network, int classes) => new WholeTeacherPart(network, classes);

    /// <summary>The split point named <paramref name="name"/> (stem, stage1, stage2, stage3).</summary>
    public static FeatureSplitPoint Point(TeacherConfig config, string name) =>
        Points(config).FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"'{name}' is not a split point; use one of {string.Join(", ", Points(config).Select(p => p.Name))}", nameof(name));

    /// <summary>The teacher's stages up to and including <paramref name="point"/> on a batch of images (N, 1, H, W).</summary>
    public static Tensor RunHead(TeacherNet network, FeatureSplitPoint point, Tensor images) =>
        network.Run(images, TeacherStage.Stem, (TeacherStage)point.Id);

    /// <summary>The teacher from the stage after <paramref name="point"/> to its logits, on a batch of features.</summary>
    public static Tensor RunTail(TeacherNet network, FeatureSplitPoint point, Tensor features) =>
        network.Run(features, (TeacherStage)point.Id + 1, TeacherStage.Head);

    /// <summary>The edge side: the teacher's stages up to and including <paramref name="point"/>.</summary>
    public static FeatureEdgePart Head(TeacherNet network, TeacherManifest manifest, FeatureSplitPoint point) => new(network, manifest.ModelId, point);

    /// <summary>The server side: the teacher from the stage after <paramref name="point"/> to its head.</summary>
    public static IServerPart Tail(TeacherNet network, FeatureSplitPoint point, int classes) => new FeatureTailPart(network, point, classes);
}

/// <summary>The teacher's stages up to a split point (its id is the stage's index), as an edge part.</summary>
public sealed class FeatureEdgePart(TeacherNet network, string modelId, FeatureSplitPoint point) : IFeatureEdgePart
{
    public string ModelId { get; } = modelId;
    public FeatureSplitPoint Point { get; } = point;

    /// <summary>The feature after the split point for one 8-bit image, as a managed array.</summary>
    public float[] Features(SplitInput input)
    {
        input.Expect(InputKind.Image);
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var x = ImageTensors.Single(input.Pixels, FashionMnist.Height, FashionMnist.Width);
        return FeatureSplit.RunHead(network, Point, x).data<float>().ToArray();
    }
}

/// <summary>The whole teacher on a batch of normalised images, as a server part.</summary>
internal sealed class WholeTeacherPart(TeacherNet network, int classes) : ClassifierPart(FeatureSplit.Input.Feature, classes)
{
    protected override Tensor Logits(Tensor images) => network.Run(images, TeacherStage.Stem, TeacherStage.Head);

    // The network belongs to the served teacher.
    public override void Dispose()
    {
    }
}

/// <summary>The teacher continued from the output of one stage, as a server part.</summary>
internal sealed class FeatureTailPart(TeacherNet network, FeatureSplitPoint point, int classes) : ClassifierPart(point.Feature, classes)
{
    protected override Tensor Logits(Tensor features) => FeatureSplit.RunTail(network, point, features);

    // The network belongs to the served teacher, which disposes it once for all its tails.
    public override void Dispose()
    {
    }
}
