using SplitNet.Codec;
using SplitNet.Contracts.V1;
using SplitNet.Models.Split;

namespace SplitNet.Edge;

/// <summary>
/// The edge of a server-only deployment: no layer runs on the device; the 8-bit input image is sent
/// losslessly compressed (<see cref="ImageCodec"/>, PNG or WebP) for the whole model on the server.
/// The baseline a split has to beat on the uplink.
/// </summary>
/// <param name="modelId">The served model.</param>
/// <param name="shape">The image as the model takes it: (C, H, W).</param>
/// <param name="codec"><see cref="CodecId.Png"/> or <see cref="CodecId.WebpLossless"/>.</param>
/// <param name="scale">The model's input normalisation: input = pixel × scale + offset.</param>
/// <param name="offset">See <paramref name="scale"/>.</param>
public sealed class ImageEdgeHead(string modelId, TensorShape shape, CodecId codec, float scale, float offset) : IFrameEncoder
{
    /// <summary>Image payloads describe themselves: nothing to declare.</summary>
    public StreamOpen? Open => null;

    public string ModelId => modelId;
    public CodecId Codec { get; } = ImageCodec.Handles(codec) ? codec : throw new ArgumentException($"{codec} is not an image codec.", nameof(codec));

    public EncodedFrame Encode(SplitInput input)
    {
        input.Expect(InputKind.Image);
        return new EncodedFrame(ImageCodec.Encode(Codec, modelId, FeatureSplitPoint.InputId, shape, input.Pixels, scale, offset), 0);
    }
}
