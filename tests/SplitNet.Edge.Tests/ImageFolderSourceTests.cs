using SkiaSharp;
using SplitNet.Edge.Sources;

namespace SplitNet.Edge.Tests;

public sealed class ImageFolderSourceTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("splitnet-images-").FullName;

    private void Write(string relative, SKColor color, int size, SKEncodedImageFormat format)
    {
        var path = Path.Combine(_folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(size, size);
        bitmap.Erase(color);
        using var data = bitmap.Encode(format, 95);
        File.WriteAllBytes(path, data.ToArray());
    }

    [Fact]
    public void Folder_DecodesResizesToGrayAndLabelsFromClassFolders()
    {
        Write("Sneaker/a.png", SKColors.White, 64, SKEncodedImageFormat.Png);
        Write("b.jpg", new SKColor(100, 100, 100), 40, SKEncodedImageFormat.Jpeg);
        File.WriteAllText(Path.Combine(_folder, "notes.txt"), "not an image");

        var source = new ImageFolderSource(_folder, ["T-shirt/top", "Sneaker"]);

        // Files in ordinal path order: "Sneaker/a.png" before "b.jpg".
        Assert.Equal(2, source.Count);
        Assert.Equal(1, source.Label(0));
        Assert.Equal(-1, source.Label(1));
        Assert.Equal(28 * 28, source.Input(0).Pixels.Length);
        Assert.All(source.Input(0).Pixels.ToArray(), p => Assert.Equal(255, p));
        Assert.All(source.Input(1).Pixels.ToArray(), p => Assert.InRange(p, 95, 105));
    }

    [Fact]
    public void Folder_WithAFileThatDoesNotDecode_NamesTheFile()
    {
        File.WriteAllText(Path.Combine(_folder, "broken.png"), "this is not a png");
        var error = Assert.Throws<InvalidDataException>(() => new ImageFolderSource(_folder, []));
        Assert.Contains("broken.png", error.Message);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
