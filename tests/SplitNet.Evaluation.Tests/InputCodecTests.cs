using System.Text.Json;
using SplitNet.Models.Data;

namespace SplitNet.Evaluation.Tests;

public sealed class InputCodecTests
{
    private static readonly LabeledImages Sample =
        FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fashion-mnist-sample"), DatasetSplit.Test);

    [Theory]
    [InlineData("png")]
    [InlineData("webp-lossless")]
    public void RoundTrip_LosslessCodecs_ReturnTheSamePixels(string method)
    {
        var codec = InputCodec.Sweep().Single(c => c.Method == method);
        var decoded = new byte[784];
        for (int i = 0; i < 20; i++)
        {
            var bytes = codec.RoundTrip(Sample.Image(i), 28, 28, decoded);
            Assert.Equal(Sample.Image(i).ToArray(), decoded);
            Assert.InRange(bytes, 50, 1500);
        }
    }

    [Fact]
    public void RoundTrip_LossyCodecs_ShrinkWithQualityAndStayClose()
    {
        var decoded = new byte[784];
        foreach (var method in new[] { "jpeg", "webp" })
        {
            var codecs = InputCodec.Sweep().Where(c => c.Method == method).ToArray();
            var sizes = codecs.Select(c => Enumerable.Range(0, 20).Sum(i => c.RoundTrip(Sample.Image(i), 28, 28, decoded))).ToArray();
            Assert.True(sizes[0] < sizes[^1], $"{method}: lowest quality {sizes[0]} B is not smaller than highest {sizes[^1]} B");
            codecs[^1].RoundTrip(Sample.Image(0), 28, 28, decoded);
            var error = Sample.Image(0).ToArray().Zip(decoded, (a, b) => Math.Abs(a - b)).Average();
            Assert.True(error < 8, $"{method} at its best quality is off by {error:F1} per pixel");
        }
    }

    [Fact]
    public void Write_Rows_ProducesMarkdownJsonAndPlot()
    {
        var directory = Directory.CreateTempSubdirectory("splitnet-report-").FullName;
        try
        {
            RateAccuracyRow[] rows =
            [
                new("entropic-student", "4", 0.91, 30.5, 27.2, 26.0, 3_960_000),
                new("png", "level 9", 0.93, 508),
            ];
            ReportWriter.Write(RateAccuracyReport.Name, directory, RateAccuracyReport.Markdown(rows, 100, "splitnet bench rate-accuracy --limit 100"),
                RateAccuracyReport.Data(rows, 100), RateAccuracyReport.Chart(rows), plotHeight: RateAccuracyReport.PlotHeight);

            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "rate-accuracy.json")));
            var first = json.RootElement.GetProperty("rows")[0];
            Assert.Equal("entropic-student", first.GetProperty("method").GetString());
            Assert.Equal(27.2, first.GetProperty("ideal_bytes_per_image").GetDouble());
            Assert.Equal(30.5 / 27.2, first.GetProperty("overhead").GetDouble(), 6);
            var markdown = File.ReadAllText(Path.Combine(directory, "rate-accuracy.md"));
            Assert.Contains("| png | level 9 | 93.00 % | 508.0 |", markdown);
            var png = File.ReadAllBytes(Path.Combine(directory, "rate-accuracy.png"));
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
