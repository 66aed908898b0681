using SplitNet.Codec;
using SplitNet.Edge;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Teacher;
using static TorchSharp.torch;

namespace SplitNet.Server.Tests;

/// <summary>Runs the teacher in the test process, for comparison with what the server answers.</summary>
internal static class LocalTeacher
{
    /// <summary>The edge side of the teacher cut after <paramref name="split"/>, coding with <paramref name="codec"/>.</summary>
    public static EdgeHead Head(TeacherNet teacher, TeacherManifest manifest, TeacherStage split, CodecId codec) =>
        new(FeatureSplit.Head(teacher, manifest, FeatureSplit.Points(manifest.Architecture)[(int)split]), codec);

    /// <summary>Softmax of the whole teacher on one image.</summary>
    public static float[] Probabilities(TeacherNet teacher, ReadOnlySpan<byte> pixels)
    {
        using var _ = inference_mode();
        using var scope = NewDisposeScope();
        var logits = teacher.call(ImageTensors.Single(pixels, 28, 28));
        return nn.functional.softmax(logits, 1).data<float>().ToArray();
    }

    /// <summary>Softmax of the tail on features that went through <paramref name="payload"/>'s codec.</summary>
    public static float[] ProbabilitiesFromPayload(TeacherNet teacher, byte[] payload)
    {
        Assert.Equal(DecodeStatus.Ok, FeatureCodec.TryDecode(payload, out var header, out var features, out var error));
        Assert.Null(error);
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var x = tensor(features, [1, .. header.Shape.Dimensions.ToArray().Select(d => (long)d)]);
        var split = (TeacherStage)header.SplitPoint;
        var logits = teacher.Run(x, split + 1, TeacherStage.Head);
        return nn.functional.softmax(logits, 1).data<float>().ToArray();
    }

    public static int ArgMax(float[] values) => Array.IndexOf(values, values.Max());
}
