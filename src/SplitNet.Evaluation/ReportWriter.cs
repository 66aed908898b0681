using System.Text.Json;
using ScottPlot;

namespace SplitNet.Evaluation;

/// <summary>
/// The one place benchmark reports reach the disk: <c>name.md</c>, <c>name.json</c> and, with a
/// plot, <c>name.png</c>, all in one folder and nowhere else.
/// </summary>
public static class ReportWriter
{
    /// <summary>Width of a report's plot in pixels, unless the report asks for another.</summary>
    public const int PlotWidth = 900;

    /// <summary>Height of a report's plot in pixels, unless the report asks for another.</summary>
    public const int PlotHeight = 560;

    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>A report's data as the indented, snake_case JSON its <c>.json</c> file holds.</summary>
    public static string Json<T>(T data) => JsonSerializer.Serialize(data, Options);

    /// <summary>
    /// Writes <paramref name="name"/>.md, .json and (when <paramref name="plot"/> is given) .png into
    /// <paramref name="directory"/>, creating it if needed; with no directory nothing is written.
    /// </summary>
    /// <returns>The paths written, in that order.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a plain file name.</exception>
    public static IReadOnlyList<string> Write<T>(string name, string? directory, string markdown, T data, Plot? plot = null,
        int plotWidth = PlotWidth, int plotHeight = PlotHeight)
    {
        if (name.Length == 0 || name != Path.GetFileName(name) || name is "." or "..")
        {
            throw new ArgumentException($"A report name is a file name without a folder, not '{name}'.", nameof(name));
        }
        if (directory is null)
        {
            return [];
        }
        Directory.CreateDirectory(directory);
        var markdownPath = Path.Combine(directory, name + ".md");
        var jsonPath = Path.Combine(directory, name + ".json");
        File.WriteAllText(markdownPath, markdown);
        File.WriteAllText(jsonPath, Json(data) + "\n");
        if (plot is null)
        {
            return [markdownPath, jsonPath];
        }
        var pngPath = Path.Combine(directory, name + ".png");
        plot.SavePng(pngPath, plotWidth, plotHeight);
        return [markdownPath, jsonPath, pngPath];
    }
}
