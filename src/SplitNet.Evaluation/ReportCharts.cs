using System.Globalization;
using ScottPlot;

namespace SplitNet.Evaluation;

/// <summary>What the reports' charts share.</summary>
public static class ReportCharts
{
    /// <summary>
    /// A log-scale bottom axis for data plotted as log₁₀ of its value (bytes, say): decade ticks
    /// labelled with the value itself, minor ticks in between.
    /// </summary>
    public static void LogBottomAxis(Plot plot, string label)
    {
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = x => Math.Pow(10, x).ToString("N0", CultureInfo.InvariantCulture),
        };
        plot.XLabel(label);
    }

    /// <summary>
    /// One series per <paramref name="series"/> key of <paramref name="value"/> against bytes on a
    /// log axis, each in a colour of its own (Category20: the default palette repeats after ten),
    /// points in order of bytes, joined when <paramref name="joined"/>, legend at the lower right.
    /// </summary>
    public static Plot BytesScatter<T>(IEnumerable<T> rows, Func<T, string> series, Func<T, double> bytes, Func<T, double> value, bool joined, int markerSize,
        string bytesLabel, string valueLabel, string title)
    {
        var plot = new Plot { Add = { Palette = new ScottPlot.Palettes.Category20() } };
        foreach (var group in rows.GroupBy(series))
        {
            var points = group.OrderBy(bytes).ToArray();
            double[] xs = [.. points.Select(p => Math.Log10(bytes(p)))], ys = [.. points.Select(value)];
            var scatter = joined ? plot.Add.Scatter(xs, ys) : plot.Add.ScatterPoints(xs, ys);
            scatter.LegendText = group.Key;
            scatter.MarkerSize = markerSize;
        }
        LogBottomAxis(plot, bytesLabel);
        plot.YLabel(valueLabel);
        plot.Title(title);
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }
}
