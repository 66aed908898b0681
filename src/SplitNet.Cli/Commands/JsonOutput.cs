using System.Text.Json;

namespace SplitNet.Cli.Commands;

/// <summary>The one JSON object a <c>--json</c> command that is not a benchmark report prints on stdout.</summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static void Write<T>(T value) => Console.WriteLine(JsonSerializer.Serialize(value, Options));
}
