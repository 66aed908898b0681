using System.Collections.Frozen;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SplitNet.Models.Bundles;

namespace SplitNet.Server.Models;

/// <summary>The models this server answers for, loaded once at start.</summary>
internal sealed class ModelRegistry : IDisposable
{
    private readonly FrozenDictionary<string, ServedModel> _models;

    public ModelRegistry(IOptions<SplitNetServerOptions> options, ILogger<ModelRegistry> logger)
    {
        var models = new Dictionary<string, ServedModel>(StringComparer.Ordinal);
        foreach (var directory in options.Value.Models)
        {
            var (network, manifest) = TeacherBundle.Load(directory);
            if (!models.TryAdd(manifest.ModelId, new ServedModel(network, manifest)))
            {
                network.Dispose();
                throw new InvalidOperationException($"{directory}: model id '{manifest.ModelId}' is already served from another folder.");
            }
            ServerLog.ModelLoaded(logger, manifest.ModelId, manifest.Version, directory);
        }
        _models = models.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public IEnumerable<ServedModel> All => _models.Values;

    public bool TryGet(string id, out ServedModel model) => _models.TryGetValue(id, out model!);

    public void Dispose()
    {
        foreach (var model in _models.Values)
        {
            model.Dispose();
        }
    }
}
