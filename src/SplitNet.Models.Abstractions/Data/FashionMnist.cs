using System.IO.Compression;
using System.Buffers.Binary;

namespace SplitNet.Models.Data;

/// <summary>Which part of Fashion-MNIST to read.</summary>
public enum DatasetSplit
{
    Train,
    Test,
}

/// <summary>
/// Fashion-MNIST (Xiao et al., 2017): 60,000 training and 10,000 test images of 28x28 pixels in
/// ten clothing classes, read from the four IDX files of the Debian package
/// <c>dataset-fashion-mnist</c> or any folder holding them.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> installs the files.</summary>
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Class names in label order.</summary>
    public static readonly IReadOnlyList<string> Labels =
    [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ];

    public const int Height = 28;
    public const int Width = 28;

    /// <summary>Per-pixel mean and standard deviation of the training set, on [0, 1].</summary>
    public const float Mean = 0.2860f;
    public const float Std = 0.3530f;

    /// <summary>The file-name prefix of a split (<c>train</c> or <c>t10k</c>).</summary>
    public static string Prefix(DatasetSplit split) => split == DatasetSplit.Train ? "train" : "t10k";

    /// <summary>Loads one split from <paramref name="directory"/>, checking every file.</summary>
    public static LabeledImages Load(string directory, DatasetSplit split)
    {
        var prefix = Prefix(split);
        var imagesPath = Find(directory, $"{prefix}-images-idx3-ubyte");
        var labelsPath = Find(directory, $"{prefix}-labels-idx1-ubyte");
        var (imageShape, pixels) = IdxReader.Read(imagesPath, rank: 3);
        var (labelShape, labels) = IdxReader.Read(labelsPath, rank: 1);
        if (imageShape[1] != Height || imageShape[2] != Width)
        {
            throw new IdxFormatException(imagesPath, $"images are {imageShape[1]}x{imageShape[2]}, expected {Height}x{Width}");
        }
        if (imageShape[0] != labelShape[0])
        {
            throw new IdxFormatException(labelsPath, $"{labelShape[0]} labels for {imageShape[0]} images in {imagesPath}");
        }
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= Labels.Count)
            {
                throw new IdxFormatException(labelsPath, $"label {labels[i]} at index {i} is not a class (0-{Labels.Count - 1})");
            }
        }
        return new LabeledImages(pixels, labels, Height, Width);
    }

    /// <summary>Writes images and labels as a pair of gzip IDX files named like the originals.</summary>
    public static void Save(LabeledImages images, string directory, string prefix)
    {
        Directory.CreateDirectory(directory);
        Write(Path.Combine(directory, $"{prefix}-images-idx3-ubyte.gz"), images.Pixels, [images.Count, images.Height, images.Width]);
        Write(Path.Combine(directory, $"{prefix}-labels-idx1-ubyte.gz"), images.Labels, [images.Count]);
    }

    private static void Write(string path, byte[] data, int[] shape)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.SmallestSize);
        Span<byte> header = stackalloc byte[4 + 4 * shape.Length];
        header[2] = 0x08;
        header[3] = (byte)shape.Length;
        for (int i = 0; i < shape.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(header[(4 + 4 * i)..], shape[i]);
        }
        gzip.Write(header);
        gzip.Write(data);
    }

    private static string Find(string directory, string stem)
    {
        foreach (var name in new[] { stem + ".gz", stem })
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path))
            {
                return path;
            }
        }
        throw new FileNotFoundException($"{Path.Combine(directory, stem)}[.gz] not found (install the Debian package dataset-fashion-mnist or pass --data DIR).", stem);
    }
}
