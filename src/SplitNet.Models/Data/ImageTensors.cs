using static TorchSharp.torch;

namespace SplitNet.Models.Data;

/// <summary>Turns 8-bit images into normalised float tensors of shape (N, 1, H, W).</summary>
public static class ImageTensors
{
    private const float Scale = 1f / (255f * FashionMnist.Std);
    private const float Shift = FashionMnist.Mean / FashionMnist.Std;

    /// <summary>Normalises one 8-bit pixel as the teacher expects.</summary>
    public static float Normalize(byte pixel) => pixel * Scale - Shift;

    /// <summary>Images <paramref name="start"/>..<paramref name="start"/>+<paramref name="count"/> as a batch.</summary>
    public static Tensor Batch(LabeledImages images, int start, int count)
    {
        var data = new float[count * images.PixelsPerImage];
        var source = images.Pixels.AsSpan(start * images.PixelsPerImage, data.Length);
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = Normalize(source[i]);
        }
        return tensor(data, [count, 1, images.Height, images.Width]);
    }

    /// <summary>One image given as raw pixels, as a batch of one.</summary>
    public static Tensor Single(ReadOnlySpan<byte> pixels, int height, int width)
    {
        var data = new float[pixels.Length];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = Normalize(pixels[i]);
        }
        return tensor(data, [1, 1, height, width]);
    }

    /// <summary>
    /// The images at <paramref name="indices"/>, each shifted by up to <paramref name="pad"/> pixels
    /// in each direction (zero fill, as a random crop of the padded image) and mirrored with
    /// probability ½.
    /// </summary>
    public static Tensor Augmented(LabeledImages images, ReadOnlySpan<int> indices, int pad, Random random)
    {
        int h = images.Height, w = images.Width, n = images.PixelsPerImage;
        var data = new float[indices.Length * n];
        var background = Normalize(0);
        for (int b = 0; b < indices.Length; b++)
        {
            var source = images.Image(indices[b]);
            int dy = random.Next(-pad, pad + 1), dx = random.Next(-pad, pad + 1);
            bool flip = random.Next(2) == 1;
            var target = data.AsSpan(b * n, n);
            for (int y = 0; y < h; y++)
            {
                int sy = y + dy;
                for (int x = 0; x < w; x++)
                {
                    int sx = (flip ? w - 1 - x : x) + dx;
                    target[y * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? Normalize(source[sy * w + sx]) : background;
                }
            }
        }
        return tensor(data, [indices.Length, 1, h, w]);
    }

    /// <summary>Labels as an int64 tensor.</summary>
    public static Tensor Labels(ReadOnlySpan<byte> labels)
    {
        var data = new long[labels.Length];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = labels[i];
        }
        return tensor(data);
    }
}
