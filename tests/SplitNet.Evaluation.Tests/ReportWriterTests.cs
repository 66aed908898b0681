using System.Text.Json;

namespace SplitNet.Evaluation.Tests;

public sealed class ReportWriterTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("splitnet-report-writer-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string[] FilesUnderRoot() =>
        [.. Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories).Select(path => Path.GetRelativePath(_root, path)).Order(StringComparer.Ordinal)];

    [Fact]
    public void Write_WithAPlot_WritesMarkdownJsonAndPngIntoTheFolderOnly()
    {
        var directory = Path.Combine(_root, "out", "reports");
        var plot = new ScottPlot.Plot();
        plot.Add.Scatter(new double[] { 1, 2 }, new double[] { 3, 4 });

        var written = ReportWriter.Write("demo", directory, "# Demo\n", new { FramesPerSecond = 12.5 }, plot);

        Assert.Equal([Path.Combine(directory, "demo.md"), Path.Combine(directory, "demo.json"), Path.Combine(directory, "demo.png")], written);
        Assert.Equal([Path.Combine("out", "reports", "demo.json"), Path.Combine("out", "reports", "demo.md"), Path.Combine("out", "reports", "demo.png")], FilesUnderRoot());
        Assert.Equal("# Demo\n", File.ReadAllText(written[0]));
        using var json = JsonDocument.Parse(File.ReadAllText(written[1]));
        Assert.Equal(12.5, json.RootElement.GetProperty("frames_per_second").GetDouble());
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(written[2])[..4]);
    }

    [Fact]
    public void Write_WithoutAPlot_WritesNoPng()
    {
        var written = ReportWriter.Write("failover", _root, "text", new { lost = 0 });

        Assert.Equal(2, written.Count);
        Assert.Equal(["failover.json", "failover.md"], FilesUnderRoot());
    }

    [Fact]
    public void Write_WithoutAFolder_WritesNothing()
    {
        var workingDirectory = Directory.GetFiles(Directory.GetCurrentDirectory(), "server.*");

        Assert.Empty(ReportWriter.Write("server", null, "text", new { lost = 0 }, new ScottPlot.Plot()));
        Assert.Equal(workingDirectory, Directory.GetFiles(Directory.GetCurrentDirectory(), "server.*"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("../escape")]
    [InlineData("sub/name")]
    public void Write_ANameWithAFolder_IsRefusedBeforeAnythingIsWritten(string name)
    {
        Assert.Throws<ArgumentException>(() => ReportWriter.Write(name, Path.Combine(_root, "out"), "text", new { }));
        Assert.False(Directory.Exists(Path.Combine(_root, "out")));
    }

    [Fact]
    public void Json_IsTheIndentedSnakeCaseOfTheFile()
    {
        var data = new { MeanLevel = 1.5 };
        var written = ReportWriter.Write("r", _root, "", data);

        Assert.Equal(ReportWriter.Json(data) + "\n", File.ReadAllText(written[1]));
        Assert.Contains("\n  \"mean_level\": 1.5", ReportWriter.Json(data), StringComparison.Ordinal);
    }
}
