using System.Text.Json;
using System.Text.Json.Serialization;

namespace SplitNet.Models.Bundles;

/// <summary>JSON conventions of every SplitNet manifest: snake_case names, indented, enums as strings.</summary>
public static class BundleJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Reads a JSON file; a malformed file gets an error naming it.</summary>
    public static T Read<T>(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<T>(stream, Options)
                ?? throw new InvalidDataException($"{path}: empty manifest");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: malformed JSON ({e.Message})", e);
        }
    }

    /// <summary>
    /// Reads <c>manifest.json</c> in <paramref name="directory"/> and checks its format string;
    /// errors name the file.
    /// </summary>
    public static T ReadManifest<T>(string directory, string expectedFormat, Func<T, string> format, out string path)
    {
        path = Path.Combine(directory, "manifest.json");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: manifest not found.", path);
        }
        var manifest = Read<T>(path);
        if (format(manifest) != expectedFormat)
        {
            throw new InvalidDataException($"{path}: format '{format(manifest)}' is not {expectedFormat}.");
        }
        return manifest;
    }

    /// <summary>Checks that <paramref name="path"/> has the SHA-256 its manifest declares.</summary>
    public static void VerifySha256(string path, string expected, string manifestPath)
    {
        var actual = Sha256(path);
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"{path}: SHA-256 {actual} does not match {expected} in {manifestPath}.");
        }
    }

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
    }

    public static void Write<T>(string path, T value) =>
        File.WriteAllText(path, JsonSerializer.Serialize(value, Options) + "\n");
}
