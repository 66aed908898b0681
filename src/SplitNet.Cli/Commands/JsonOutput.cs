using System.Text.Json;

namespace SplitNet.Cli.Commands;

/// <summary>The one JSON object a <c>--json</c> command prints on stdout, and the reports benchmarks write beside it.</summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };

    public static void Write<T>(T value) => Console.WriteLine(JsonSerializer.Serialize(value, Options));

    /// <summary>A report's JSON, indented for committing.</summary>
    public static string Report<T>(T value) => JsonSerializer.Serialize(value, Indented);

    /// <summary>The command line that produced a report, for its Markdown.</summary>
    public static string CommandLine => "splitnet " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));

    /// <summary>Writes <c>name.json</c> and <c>name.md</c> into <paramref name="directory"/> (created if needed).</summary>
    public static void WriteReport(string directory, string name, string json, string markdown)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, name + ".json"), json + "\n");
        File.WriteAllText(Path.Combine(directory, name + ".md"), markdown);
    }
}
