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
}
