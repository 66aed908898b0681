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
        return FromNormalized(data, count, images.Height, images.Width);
    }

    /// <summary>One image given as raw pixels, as a batch of one.</summary>
    public static Tensor Single(ReadOnlySpan<byte> pixels, int height, int width)
    {
        var data = new float[pixels.Length];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = Normalize(pixels[i]);
        }
        return FromNormalized(data, 1, height, width);
    }

    /// <summary>
    /// Normalised pixels as an (N, 1, H, W) tensor in libtorch's own memory. A tensor made straight
    /// from a managed array shares it, and the array's alignment varies from one allocation to the
    /// next; the CPU kernels' results depend on it in the last bit, so the same images would not
    /// always give the same output (nor a training run the same weights).
    /// </summary>
    public static Tensor FromNormalized(float[] data, int count, int height, int width)
    {
        using var shared = tensor(data, [count, 1, height, width]);
        return shared.clone();
    }
}
