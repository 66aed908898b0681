using SkiaSharp;
using SplitNet.Models.Split;

namespace SplitNet.Edge.Sources;

/// <summary>
/// PNG and JPEG files of a folder (and its subfolders), decoded and resized to the model's
/// input: 28×28 grayscale by default, or <c>rgb</c> (8-bit, interleaved) at any size. An image inside a subfolder named after a class (e.g. <c>Sneaker/</c>)
/// is labelled with that class. Files that do not decode fail with a message naming them.
/// </summary>
public sealed class ImageFolderSource : IFrameSource
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];
    private readonly byte[][] _images;
    private readonly int[] _labels;

    public ImageFolderSource(string directory, IReadOnlyList<string> classNames, int width = 28, int height = 28, bool rgb = false)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"{directory}: image folder not found.");
        }
        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (files.Length == 0)
        {
            throw new InvalidDataException($"{directory}: no .png, .jpg or .jpeg files.");
        }
        _images = [.. files.Select(f => Decode(f, width, height, rgb))];
        Files = files;
        _labels = [.. files.Select(f => IndexOf(classNames, Path.GetFileName(Path.GetDirectoryName(f)) ?? ""))];
        Name = directory;
    }

    public string Name { get; }

    /// <summary>The image files, in frame order.</summary>
    public IReadOnlyList<string> Files { get; }

    public int Count => _images.Length;
    public SplitInput Input(int index) => SplitInput.Image(_images[index]);
    public int Label(int index) => _labels[index];

    private static int IndexOf(IReadOnlyList<string> names, string folder)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], folder, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }
        return -1;
    }

    private static byte[] Decode(string path, int width, int height, bool rgb)
    {
        using var original = SKBitmap.Decode(path) ?? throw new InvalidDataException($"{path}: not a decodable PNG or JPEG image.");
        using var resized = original.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKCubicResampler.Mitchell))
            ?? throw new InvalidDataException($"{path}: could not be resized to {width}×{height}.");
        var pixels = new byte[width * height * (rgb ? 3 : 1)];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                var c = resized.GetPixel(x, y);
                int at = y * width + x;
                if (rgb)
                {
                    (pixels[3 * at], pixels[3 * at + 1], pixels[3 * at + 2]) = (c.Red, c.Green, c.Blue);
                }
                else
                {
                    pixels[at] = (byte)Math.Round(0.299 * c.Red + 0.587 * c.Green + 0.114 * c.Blue);
                }
            }
        }
        return pixels;
    }
}
