using System.IO.Compression;
using SplitNet.Models.Data;

namespace SplitNet.Models.Tests;

public sealed class IdxReaderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("splitnet-idx-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static LabeledImages Images(int count)
    {
        var pixels = new byte[count * 28 * 28];
        new Random(3).NextBytes(pixels);
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
        return new LabeledImages(pixels, labels, 28, 28);
    }

    private string ImagesPath => Path.Combine(_directory, "t10k-images-idx3-ubyte.gz");
    private string LabelsPath => Path.Combine(_directory, "t10k-labels-idx1-ubyte.gz");

    private static byte[] Gunzip(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static void Gzip(string path, byte[] bytes)
    {
        using var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        gzip.Write(bytes);
    }

    [Fact]
    public void Load_SavedSet_RoundTrips()
    {
        var images = Images(12);
        FashionMnist.Save(images, _directory, "t10k");

        var loaded = FashionMnist.Load(_directory, DatasetSplit.Test);

        Assert.Equal(images.Pixels, loaded.Pixels);
        Assert.Equal(images.Labels, loaded.Labels);
        Assert.Equal(12, loaded.Count);
    }

    [Fact]
    public void Load_UncompressedFiles_AreAccepted()
    {
        FashionMnist.Save(Images(3), _directory, "t10k");
        File.WriteAllBytes(ImagesPath[..^3], Gunzip(ImagesPath));
        File.WriteAllBytes(LabelsPath[..^3], Gunzip(LabelsPath));
        File.Delete(ImagesPath);
        File.Delete(LabelsPath);

        Assert.Equal(3, FashionMnist.Load(_directory, DatasetSplit.Test).Count);
    }

    [Fact]
    public void Load_ShippedSample_HasFiveHundredLabelledImages()
    {
        var sample = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fashion-mnist-sample"), DatasetSplit.Test);
        Assert.Equal(500, sample.Count);
        Assert.Equal(10, sample.Labels.Distinct().Count());
    }

    [Fact]
    public void Load_TruncatedImages_NamesFileAndCounts()
    {
        FashionMnist.Save(Images(5), _directory, "t10k");
        var bytes = Gunzip(ImagesPath);
        Gzip(ImagesPath, bytes[..^100]);

        var error = Assert.Throws<IdxFormatException>(() => FashionMnist.Load(_directory, DatasetSplit.Test));
        Assert.Equal(ImagesPath, error.Path);
        Assert.Contains("truncated", error.Message);
        Assert.Contains(ImagesPath, error.Message);
    }

    [Fact]
    public void Load_TruncatedGzipStream_NamesFile()
    {
        FashionMnist.Save(Images(50), _directory, "t10k");
        var bytes = File.ReadAllBytes(ImagesPath);
        File.WriteAllBytes(ImagesPath, bytes[..(bytes.Length / 2)]);

        var error = Assert.ThrowsAny<IOException>(() => FashionMnist.Load(_directory, DatasetSplit.Test));
        Assert.Contains(ImagesPath, error.Message);
    }

    [Fact]
    public void Load_CorruptGzipStream_NamesFile()
    {
        FashionMnist.Save(Images(50), _directory, "t10k");
        var bytes = File.ReadAllBytes(ImagesPath);
        for (int i = 20; i < 60; i++)
        {
            bytes[i] ^= 0x5A;
        }
        File.WriteAllBytes(ImagesPath, bytes);

        var error = Assert.Throws<IdxFormatException>(() => FashionMnist.Load(_directory, DatasetSplit.Test));
        Assert.Equal(ImagesPath, error.Path);
    }

    [Fact]
    public void Load_BadMagic_IsReported()
    {
        FashionMnist.Save(Images(2), _directory, "t10k");
        var bytes = Gunzip(LabelsPath);
        bytes[0] = 0x12;
        Gzip(LabelsPath, bytes);

        var error = Assert.Throws<IdxFormatException>(() => FashionMnist.Load(_directory, DatasetSplit.Test));
        Assert.Equal(LabelsPath, error.Path);
        Assert.Contains("magic", error.Message);
    }

    [Fact]
    public void Load_WrongRank_IsReported()
    {
        FashionMnist.Save(Images(2), _directory, "t10k");
        File.Copy(LabelsPath, ImagesPath, overwrite: true);

        var error = Assert.Throws<IdxFormatException>(() => FashionMnist.Load(_directory, DatasetSplit.Test));
        Assert.Contains("dimensions, expected 3", error.Message);
    }

    [Fact]
    public void Load_LabelCountMismatch_IsReported()
    {
        FashionMnist.Save(Images(4), _directory, "t10k");
        var other = Directory.CreateTempSubdirectory("splitnet-idx-").FullName;
        FashionMnist.Save(Images(3), other, "t10k");
        File.Copy(Path.Combine(other, "t10k-labels-idx1-ubyte.gz"), LabelsPath, overwrite: true);
        Directory.Delete(other, recursive: true);

        var error = Assert.Throws<IdxFormatException>(() => FashionMnist.Load(_directory, DatasetSplit.Test));
        Assert.Contains("3 labels for 4 images", error.Message);
    }

    [Fact]
    public void Load_LabelOutOfRange_IsReported()
    {
        FashionMnist.Save(Images(4), _directory, "t10k");
        var bytes = Gunzip(LabelsPath);
        bytes[^1] = 42;
        Gzip(LabelsPath, bytes);

        var error = Assert.Throws<IdxFormatException>(() => FashionMnist.Load(_directory, DatasetSplit.Test));
        Assert.Contains("label 42 at index 3", error.Message);
    }

    [Fact]
    public void Parse_TrailingBytes_IsReported()
    {
        var bytes = new byte[] { 0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3 };
        var error = Assert.Throws<IdxFormatException>(() => IdxReader.Parse("x.idx", bytes, 1));
        Assert.Contains("trailing", error.Message);
    }

    [Fact]
    public void Load_MissingDirectory_SaysHowToGetTheData()
    {
        var error = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(Path.Combine(_directory, "none"), DatasetSplit.Train));
        Assert.Contains("dataset-fashion-mnist", error.Message);
    }
}
