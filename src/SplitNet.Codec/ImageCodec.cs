using System.Buffers;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace SplitNet.Codec;

/// <summary>
/// Lossless image payloads: an 8-bit image of shape (C, H, W), C = 1 (gray) or 3 (RGB), compressed
/// as PNG or WebP lossless, and mapped to the model's input floats on decode by the header's affine
/// (value = pixel × scale + offset). What a server-only deployment sends, for comparison with splits.
/// </summary>
public static class ImageCodec
{
    /// <summary>True for the codecs this class codes.</summary>
    public static bool Handles(CodecId codec) => codec is CodecId.Png or CodecId.WebpLossless;

    /// <summary>
    /// Compresses <paramref name="pixels"/> (row-major; interleaved RGB when C = 3) into a payload whose
    /// decode is <c>pixel × <paramref name="scale"/> + <paramref name="offset"/></c>, laid out (C, H, W).
    /// </summary>
    public static byte[] Encode(CodecId codec, string modelId, byte splitPoint, TensorShape shape, ReadOnlySpan<byte> pixels, float scale, float offset)
    {
        var (channels, height, width) = Dimensions(shape);
        if (pixels.Length != shape.ElementCount)
        {
            throw new ArgumentException($"{pixels.Length} pixels do not fill shape {shape}.", nameof(pixels));
        }
        // Gray stays one channel (a gray PNG); RGB goes in as opaque RGBA, Skia's only 8-bit colour layout.
        var buffer = channels == 1 ? pixels.ToArray() : new byte[height * width * 4];
        for (int i = 0, n = channels == 1 ? 0 : height * width; i < n; i++)
        {
            pixels.Slice(3 * i, 3).CopyTo(buffer.AsSpan(4 * i));
            buffer[4 * i + 3] = 255;
        }
        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try
        {
            var info = new SKImageInfo(width, height, channels == 1 ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque);
            using var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject());
            using var data = codec switch
            {
                CodecId.Png => pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 9)),
                CodecId.WebpLossless => pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100)),
                _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, "Not an image codec."),
            } ?? throw new InvalidOperationException($"SkiaSharp could not encode a {width}×{height} image as {codec}.");
            var output = new ArrayBufferWriter<byte>(64 + (int)data.Size);
            new PayloadHeader(codec, modelId, splitPoint, shape, scale, offset).Write(output, data.Span);
            return output.WrittenSpan.ToArray();
        }
        finally
        {
            handle.Free();
        }
    }

    /// <summary>
    /// Decodes an image body into <paramref name="destination"/> as (C, H, W) floats. The image's
    /// size is checked against the header's shape before any pixel is decoded.
    /// </summary>
    internal static DecodeStatus TryDecodeBody(ReadOnlySpan<byte> body, in PayloadHeader header, Span<float> destination, out string? error)
    {
        using var data = SKData.CreateCopy(body);
        using var image = SKCodec.Create(data);
        var status = Check(image, header, out error);
        if (status != DecodeStatus.Ok)
        {
            return status;
        }
        int channels = header.Shape[0], height = header.Shape[1], width = header.Shape[2];
        var rgba = ArrayPool<byte>.Shared.Rent(height * width * 4);
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            var result = image!.GetPixels(info, handle.AddrOfPinnedObject());
            if (result != SKCodecResult.Success)
            {
                error = $"the {image!.EncodedFormat} image does not decode ({result})";
                return DecodeStatus.CorruptBody;
            }
            int plane = height * width;
            for (int c = 0; c < channels; c++)
            {
                var channel = destination.Slice(c * plane, plane);
                for (int i = 0; i < plane; i++)
                {
                    channel[i] = rgba[4 * i + c] * header.Scale + header.Offset;
                }
            }
        }
        finally
        {
            handle.Free();
            ArrayPool<byte>.Shared.Return(rgba);
        }
        error = null;
        return DecodeStatus.Ok;
    }

    /// <summary>Checks that an image body is of the header's format and size, without decoding its pixels.</summary>
    internal static DecodeStatus TryReadSize(ReadOnlySpan<byte> body, in PayloadHeader header, out string? error)
    {
        using var data = SKData.CreateCopy(body);
        using var image = SKCodec.Create(data);
        return Check(image, header, out error);
    }

    private static DecodeStatus Check(SKCodec? image, in PayloadHeader header, out string? error)
    {
        if (header.Shape.Rank != 3 || header.Shape[0] is not (1 or 3))
        {
            error = $"an image payload has shape (1 or 3, H, W), not {header.Shape}";
            return DecodeStatus.ShapeMismatch;
        }
        var expected = header.Codec == CodecId.Png ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Webp;
        if (image is null || image.EncodedFormat != expected)
        {
            error = $"the body is not a {expected} image";
            return DecodeStatus.CorruptBody;
        }
        if (image.Info.Width != header.Shape[2] || image.Info.Height != header.Shape[1])
        {
            error = $"the image is {image.Info.Width}×{image.Info.Height}, shape {header.Shape} needs {header.Shape[2]}×{header.Shape[1]}";
            return DecodeStatus.ShapeMismatch;
        }
        error = null;
        return DecodeStatus.Ok;
    }

    private static (int Channels, int Height, int Width) Dimensions(TensorShape shape) =>
        shape.Rank == 3 && shape[0] is 1 or 3
            ? (shape[0], shape[1], shape[2])
            : throw new ArgumentException($"An image payload has shape (1 or 3, H, W), not {shape}.", nameof(shape));
}
