using ScottPlot;
using SplitNet.Evaluation;

namespace SplitNet.Cli.Commands;

/// <summary>
/// Where a benchmark's report goes: stdout always (its Markdown, or its JSON with <c>--json</c>),
/// files only into the <c>--out</c> folder, through <see cref="ReportWriter"/>.
/// </summary>
internal static class ReportOutput
{
    /// <summary>The command line that produced a report, for its Markdown.</summary>
    public static string CommandLine => "splitnet " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));

    /// <summary>Prints the report and, when <paramref name="directory"/> is given, writes its files there.</summary>
    public static void Emit(string name, string? directory, bool json, string markdown, object data, Plot? plot = null, int plotHeight = ReportWriter.PlotHeight)
    {
        Console.Write(json ? ReportWriter.Json(data) + Environment.NewLine : markdown);
        var written = ReportWriter.Write(name, directory, markdown, data, plot, plotHeight: plotHeight);
        if (written.Count > 0)
        {
            Console.Error.WriteLine($"wrote {string.Join(", ", written)}");
        }
    }
}
