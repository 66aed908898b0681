using System.Text.Json;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.OnnxRuntime;

namespace SplitNet.Server.Serving;

/// <summary>
/// Finds and loads model bundles: explicit bundle folders, and a model repository laid out as
/// <c>&lt;repository&gt;/&lt;model&gt;/&lt;version&gt;/manifest.json</c>.
/// </summary>
internal static class ModelBundles
{
    /// <summary>Loads a teacher bundle, the server half of a split model or of an imported ONNX split from <paramref name="directory"/>.</summary>
    /// <param name="directory">The bundle folder.</param>
    /// <param name="backends">What builds a split model's parts (and the ONNX Runtime settings of imported models).</param>
    /// <param name="repositoryName">In a repository: the model folder's name, which must be the manifest's model id.</param>
    /// <param name="repositoryVersion">In a repository: the version folder's number, which must be the manifest's version.</param>
    public static ServedModel Load(string directory, ModelBackends backends, string? repositoryName = null, int? repositoryVersion = null)
    {
        ServedModel model = Format(directory) switch
        {
            SplitModelManifest.CurrentFormat => new ServedSplitModel(SplitModel.Load(directory, BundleSide.Server, backends.For(SplitModelBundle.ReadManifest(directory, out _)))) { Directory = directory },
            OnnxSplitManifest.CurrentFormat => new ServedOnnxSplit(OnnxSplitModel.Load(directory, BundleSide.Server, backends.OnnxRuntime)) { Directory = directory },
            _ => Teacher(directory),
        };
        string manifest = Path.Combine(directory, TeacherBundle.ManifestFile);
        string? problem =
            repositoryVersion is { } version && model.Version != version ? $"manifest version {model.Version} does not match the version folder '{version}'"
            : repositoryName is not null && model.Id != repositoryName ? $"manifest model id '{model.Id}' does not match the model folder '{repositoryName}'"
            : null;
        if (problem is not null)
        {
            model.Dispose();
            throw new InvalidDataException($"{manifest}: {problem}.");
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
