using SkiaSharp;

namespace SplitNet.Evaluation;

/// <summary>
/// A standard image codec at one setting, for the server-only baseline: the device sends the
/// coded image and the server decodes it and runs the whole teacher.
/// </summary>
public sealed record InputCodec(string Method, string Setting, bool Grayscale, Func<SKPixmap, SKData?> Encode)
{
    /// <summary>PNG, WebP lossless, and a quality sweep of WebP lossy and JPEG.</summary>
    public static IReadOnlyList<InputCodec> Sweep()
    {
        var codecs = new List<InputCodec>
        {
            new("png", "level 9", true, p => p.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 9))),
            new("webp-lossless", "100", false, p => p.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100))),
        };
        foreach (var q in new[] { 5, 10, 25, 50, 75, 90 })
        {
            codecs.Add(new("webp", $"q{q}", false, p => p.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossy, q))));
        }
        foreach (var q in new[] { 5, 10, 25, 50, 75, 90 })
        {
            codecs.Add(new("jpeg", $"q{q}", true, p => p.Encode(new SKJpegEncoderOptions(q, SKJpegEncoderDownsample.Downsample444, SKJpegEncoderAlphaOption.Ignore))));
        }
        return codecs;
    }

    /// <summary>Codes one 8-bit grayscale image; returns its size and writes the decoded pixels.</summary>
    public int RoundTrip(ReadOnlySpan<byte> pixels, int height, int width, Span<byte> decoded)
    {
        // PNG and JPEG code grayscale as such; WebP has no grayscale mode, so gray goes in as RGB.
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, Grayscale ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque));
        var target = bitmap.GetPixelSpan();
        for (int i = 0; i < pixels.Length; i++)
        {
            if (Grayscale)
            {
                target[i] = pixels[i];
                continue;
            }
            target[4 * i] = target[4 * i + 1] = target[4 * i + 2] = pixels[i];
            target[4 * i + 3] = 255;
        }
        using var pixmap = bitmap.PeekPixels();
        using var data = Encode(pixmap) ?? throw new InvalidOperationException($"{Method} {Setting} failed to encode.");
        using var back = SKBitmap.Decode(data) ?? throw new InvalidOperationException($"{Method} {Setting} failed to decode.");
        using var normalized = back.Copy(SKColorType.Rgba8888);
        var decodedRgba = normalized.GetPixelSpan();
        for (int i = 0; i < decoded.Length; i++)
        {
            // Luma of what came back; JPEG's chroma may drift slightly off gray.
            decoded[i] = (byte)Math.Clamp((int)Math.Round(0.299 * decodedRgba[4 * i] + 0.587 * decodedRgba[4 * i + 1] + 0.114 * decodedRgba[4 * i + 2]), 0, 255);
        }
        return (int)data.Size;
    }
}
