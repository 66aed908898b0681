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
}
