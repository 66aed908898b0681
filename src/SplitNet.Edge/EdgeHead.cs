using SplitNet.Codec;
using SplitNet.Contracts.V1;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Teacher;
using static TorchSharp.torch;

namespace SplitNet.Edge;

/// <summary>
/// The shallow part of a split model: runs the teacher's stages up to <see cref="Split"/> on one
/// image and codes the feature into a payload. Not thread-safe: use it from one thread.
/// </summary>
public sealed class EdgeHead(TeacherNet network, TeacherManifest manifest, TeacherStage split, CodecId codec) : IFrameEncoder
{
    /// <summary>Feature payloads describe themselves: nothing to declare.</summary>
    public StreamOpen? Open => null;

    public TeacherStage Split { get; } = split;
    public CodecId Codec { get; } = codec;
    public string ModelId => manifest.ModelId;
    public TensorShape FeatureShape { get; } = new(manifest.Architecture.FeatureShape(split));

    /// <summary>The feature after <see cref="Split"/> for one 8-bit image, as a managed array.</summary>
    public float[] Features(ReadOnlySpan<byte> pixels)
    {
        using var _ = inference_mode();
        using var scope = NewDisposeScope();
        var x = ImageTensors.Single(pixels, FashionMnist.Height, FashionMnist.Width);
        return network.Run(x, TeacherStage.Stem, Split).data<float>().ToArray();
    }

    /// <summary>Runs the head on one image and returns the coded payload.</summary>
    public byte[] Encode(ReadOnlySpan<byte> pixels) =>
        FeatureCodec.Encode(Codec, ModelId, (byte)Split, FeatureShape, Features(pixels));

    EncodedFrame IFrameEncoder.Encode(ReadOnlySpan<byte> pixels) => new(Encode(pixels), 0);
}
