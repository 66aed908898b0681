using SplitNet.Models.Data;
using static TorchSharp.torch;

namespace SplitNet.Training;

/// <summary>Training batches: augmented images and label tensors.</summary>
public static class TrainingTensors
{
    /// <summary>
    /// The images at <paramref name="indices"/>, each shifted by up to <paramref name="pad"/> pixels
    /// in each direction (zero fill, as a random crop of the padded image) and mirrored with
    /// probability ½.
    /// </summary>
    public static Tensor Augmented(LabeledImages images, ReadOnlySpan<int> indices, int pad, Random random)
    {
        int h = images.Height, w = images.Width, n = images.PixelsPerImage;
        var data = new float[indices.Length * n];
        var background = ImageTensors.Normalize(0);
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
                    target[y * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? ImageTensors.Normalize(source[sy * w + sx]) : background;
                }
            }
        }
        return ImageTensors.FromNormalized(data, indices.Length, h, w);
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
