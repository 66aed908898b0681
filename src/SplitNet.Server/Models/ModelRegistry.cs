using System.Collections.Frozen;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SplitNet.Models.Bundles;
using SplitNet.Models.Teacher;
using SplitNet.Server.Inference;

namespace SplitNet.Server.Models;

/// <summary>
/// The models this server answers for, loaded once at start: teacher bundles (feature payloads
/// at any split point) and split-model server bundles (entropy-coded latents per rate level).
/// </summary>
internal sealed class ModelRegistry : IDisposable
{
    private readonly FrozenDictionary<string, ServedTeacher> _teachers;
    private readonly FrozenDictionary<string, ServedSplitModel> _splitModels;

    public ModelRegistry(IOptions<SplitNetServerOptions> options, ILogger<ModelRegistry> logger)
    {
        var teachers = new Dictionary<string, ServedTeacher>(StringComparer.Ordinal);
        var splitModels = new Dictionary<string, ServedSplitModel>(StringComparer.Ordinal);
        foreach (var directory in options.Value.Models)
        {
            string id;
            int version;
            if (Format(directory) == SplitModelManifest.CurrentFormat)
            {
                var (manifest, students) = SplitModelBundle.Load(directory, BundleSide.Server);
                (id, version) = (manifest.ModelId, manifest.Version);
                if (teachers.ContainsKey(id) || !splitModels.TryAdd(id, new ServedSplitModel(manifest, students)))
                {
                    throw new InvalidOperationException($"{directory}: model id '{id}' is already served from another folder.");
                }
            }
            else
            {
                var (network, manifest) = TeacherBundle.Load(directory);
                (id, version) = (manifest.ModelId, manifest.Version);
                if (splitModels.ContainsKey(id) || !teachers.TryAdd(id, new ServedTeacher(network, manifest)))
                {
                    throw new InvalidOperationException($"{directory}: model id '{id}' is already served from another folder.");
                }
            }
            ServerLog.ModelLoaded(logger, id, version, directory);
        }
        _teachers = teachers.ToFrozenDictionary(StringComparer.Ordinal);
        _splitModels = splitModels.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public IEnumerable<ServedTeacher> Teachers => _teachers.Values;
    public IEnumerable<ServedSplitModel> SplitModels => _splitModels.Values;

    /// <summary>One zero input for every split point of every teacher and every rate level of every split model.</summary>
    public IEnumerable<(IInferenceTarget Target, float[] Input)> WarmUpInputs()
    {
        foreach (var model in _teachers.Values)
        {
            for (byte split = 0; split < (byte)TeacherStage.Head; split++)
            {
                yield return (model.Tail(split), new float[model.FeatureShape(split)!.ElementCount]);
            }
        }
        foreach (var model in _splitModels.Values)
        {
            foreach (var level in model.Levels)
            {
                yield return (level.Tail, new float[model.LatentSize]);
            }
        }
    }

    public bool TryGetTeacher(string id, out ServedTeacher model) => _teachers.TryGetValue(id, out model!);
    public bool TryGetSplitModel(string id, out ServedSplitModel model) => _splitModels.TryGetValue(id, out model!);

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

    public void Dispose()
    {
        foreach (var model in _teachers.Values)
        {
            model.Dispose();
        }
        foreach (var model in _splitModels.Values)
        {
            model.Dispose();
        }
    }
}
