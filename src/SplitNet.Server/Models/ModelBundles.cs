using System.Text.Json;
using SplitNet.Models.Bundles;

namespace SplitNet.Server.Models;

/// <summary>
/// Finds and loads model bundles: explicit bundle folders, and a model repository laid out as
/// <c>&lt;repository&gt;/&lt;model&gt;/&lt;version&gt;/manifest.json</c>.
/// </summary>
internal static class ModelBundles
{
    /// <summary>Loads a teacher bundle or the server half of a split model from <paramref name="directory"/>.</summary>
    public static ServedModel Load(string directory, int? expectedVersion = null)
    {
        ServedModel model = Format(directory) == SplitModelManifest.CurrentFormat
            ? Split(directory)
            : Teacher(directory);
        if (expectedVersion is { } version && model.Version != version)
        {
            model.Dispose();
            throw new InvalidDataException(
                $"{Path.Combine(directory, TeacherBundle.ManifestFile)}: manifest version {model.Version} does not match the version folder '{version}'.");
        }
        return model;
    }

    /// <summary>The version folders of every model (or of <paramref name="name"/>) in a repository.</summary>
    public static IReadOnlyList<(string Name, int Version, string Directory)> Scan(string repository, string? name = null)
    {
        if (!System.IO.Directory.Exists(repository))
        {
            throw new DirectoryNotFoundException($"{repository}: model repository not found.");
        }
        var models = name is null
            ? System.IO.Directory.GetDirectories(repository)
            : [Path.Combine(repository, name)];
        return [.. models
            .Where(System.IO.Directory.Exists)
            .SelectMany(model => System.IO.Directory.GetDirectories(model)
                .Select(v => (Name: Path.GetFileName(model), Folder: v, Parsed: int.TryParse(Path.GetFileName(v), out int n) ? n : -1))
                .Where(v => v.Parsed > 0)
                .Select(v => (v.Name, v.Parsed, v.Folder)))
            .OrderBy(v => v.Name, StringComparer.Ordinal).ThenBy(v => v.Parsed)];
    }

    private static ServedModel Split(string directory)
    {
        var (manifest, students) = SplitModelBundle.Load(directory, BundleSide.Server);
        return new ServedSplitModel(manifest, students) { Directory = directory };
    }

    private static ServedModel Teacher(string directory)
    {
        var (network, manifest) = TeacherBundle.Load(directory);
        return new ServedTeacher(network, manifest) { Directory = directory };
    }

    private static string? Format(string directory)
    {
        var path = Path.Combine(directory, TeacherBundle.ManifestFile);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: model manifest not found.", path);
        }
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            return document.RootElement.TryGetProperty("format", out var format) ? format.GetString() : null;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: malformed JSON ({e.Message})", e);
        }
    }
}
