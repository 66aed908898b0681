namespace SplitNet.Models.Data;

/// <summary>
/// A set of 8-bit grayscale images with class labels, stored contiguously (image i is
/// <c>Pixels[i*Height*Width .. (i+1)*Height*Width)</c>).
/// </summary>
public sealed class LabeledImages
{
    public LabeledImages(byte[] pixels, byte[] labels, int height, int width)
    {
        if (pixels.Length != labels.Length * height * width)
        {
            throw new ArgumentException($"{pixels.Length} pixels do not make {labels.Length} images of {height}x{width}.");
        }
        Pixels = pixels;
        Labels = labels;
        Height = height;
        Width = width;
    }

    public byte[] Pixels { get; }
    public byte[] Labels { get; }
    public int Height { get; }
    public int Width { get; }
    public int Count => Labels.Length;
    public int PixelsPerImage => Height * Width;

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);

    /// <summary>The first <paramref name="count"/> images, or all of them.</summary>
    public LabeledImages Take(int count)
    {
        if (count >= Count)
        {
            return this;
        }
        return new LabeledImages(Pixels[..(count * PixelsPerImage)], Labels[..count], Height, Width);
    }

    /// <summary>A subset in the order of <paramref name="indices"/>.</summary>
    public LabeledImages Select(IReadOnlyList<int> indices)
    {
        var pixels = new byte[indices.Count * PixelsPerImage];
        var labels = new byte[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            Image(indices[i]).CopyTo(pixels.AsSpan(i * PixelsPerImage));
            labels[i] = Labels[indices[i]];
        }
        return new LabeledImages(pixels, labels, Height, Width);
    }
}
