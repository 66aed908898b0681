using System.Globalization;
using System.Text;
using ScottPlot;

namespace SplitNet.Evaluation;

/// <summary>The rate–accuracy report: its Markdown, its JSON data and its PNG plot (log bytes axis), for <see cref="ReportWriter"/>.</summary>
public static class RateAccuracyReport
{
    /// <summary>The report's file name, without extension.</summary>
    public const string Name = "rate-accuracy";

    /// <summary>Plot height: taller than the default, for the legend of every method.</summary>
    public const int PlotHeight = 600;

    /// <summary>What <c>rate-accuracy.json</c> holds: the rows and the targets read from them (of <paramref name="curve"/>, by default the first entropic one).</summary>
    public static object Data(IReadOnlyList<RateAccuracyRow> rows, int images, string? curve = null) => new { images, rows, targets = RateAccuracyTargets.Compute(rows, curve) };

    /// <summary>The Markdown table with the targets of <paramref name="curve"/> (by default the first entropic one), naming <paramref name="command"/> as what produced it.</summary>
    public static string Markdown(IReadOnlyList<RateAccuracyRow> rows, int images, string command, string? curve = null)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Rate–accuracy on {images:N0} Fashion-MNIST test images");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Produced by `{command}`. Bytes are the coded payload per image (no protocol framing).");
        text.AppendLine();
        if (RateAccuracyTargets.Compute(rows, curve) is { } targets)
        {
            foreach (var line in targets.MarkdownLines())
            {
                text.AppendLine(line);
            }
            text.AppendLine();
        }
        text.AppendLine("| method | setting | accuracy | bytes/image | ideal bytes | overhead | compact stream bytes | device MACs |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Method} | {r.Setting} | {r.Accuracy:P2} | {r.BytesPerImage:F1} | {(r.IdealBytesPerImage is { } i ? i.ToString("F1", CultureInfo.InvariantCulture) : "")} | {(r.Overhead is { } o ? o.ToString("F3", CultureInfo.InvariantCulture) : "")} | {(r.CompactBytesPerImage is { } c ? c.ToString("F1", CultureInfo.InvariantCulture) : "")} | {(r.EncoderMacs is { } m ? (m / 1e6).ToString("F2", CultureInfo.InvariantCulture) + " M" : "")} |");
        }
        return text.ToString();
    }

    /// <summary>Accuracy against bytes per image, one series per method.</summary>
    public static Plot Chart(IReadOnlyList<RateAccuracyRow> rows) =>
        ReportCharts.BytesScatter(rows, r => r.Method, r => r.BytesPerImage, r => 100 * r.Accuracy, joined: true, markerSize: 7,
            "bytes per image (log scale)", "top-1 accuracy (%)", "Fashion-MNIST: accuracy against bytes sent");
}
