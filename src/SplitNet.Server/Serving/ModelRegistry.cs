using System.Collections.Frozen;

namespace SplitNet.Server.Serving;

/// <summary>
/// The model versions being served, as one immutable snapshot that is swapped atomically. A
/// request resolves a model once and leases it; publishing or removing a version never changes a
/// snapshot a request already holds.
/// </summary>
internal sealed class ModelRegistry : IDisposable
{
    private readonly object _writers = new();
    private volatile FrozenDictionary<string, ServedModel[]> _models = FrozenDictionary<string, ServedModel[]>.Empty;

    /// <summary>Every served version, by model id then newest version first.</summary>
    public IEnumerable<ServedModel> All => _models.Values.SelectMany(v => v);

    /// <summary>Versions of <paramref name="id"/>, newest first (empty when not served).</summary>
    public IReadOnlyList<ServedModel> Versions(string id) => _models.GetValueOrDefault(id) ?? [];

    /// <summary>
    /// Resolves <paramref name="id"/> at <paramref name="version"/> (0 = the newest) without a
    /// lease: for metadata and checks that touch no weights.
    /// </summary>
    public ServedModel? Find(string id, long version = 0)
    {
        var versions = _models.GetValueOrDefault(id);
        return versions is null ? null : version == 0 ? versions[0] : versions.FirstOrDefault(m => m.Version == version);
    }

    /// <summary>Resolves and leases a model version; the caller releases it when the request ends.</summary>
    public ServedModel? Lease(string id, long version = 0)
    {
        // A version retired between the lookup and the lease is already gone from the next snapshot.
        for (int attempt = 0; attempt < 8; attempt++)
        {
            var model = Find(id, version);
            if (model is null || model.TryAcquire())
            {
                return model;
            }
        }
        return null;
    }

    /// <summary>Adds or replaces versions; returns the versions they replaced.</summary>
    public IReadOnlyList<ServedModel> Publish(IEnumerable<ServedModel> models)
    {
        lock (_writers)
        {
            var next = _models.ToDictionary(p => p.Key, p => p.Value.ToList(), StringComparer.Ordinal);
            var replaced = new List<ServedModel>();
            foreach (var model in models)
            {
                var versions = next.TryGetValue(model.Id, out var list) ? list : next[model.Id] = [];
                replaced.AddRange(versions.Where(v => v.Version == model.Version));
                versions.RemoveAll(v => v.Version == model.Version);
                versions.Add(model);
            }
            Swap(next);
            return replaced;
        }
    }

    /// <summary>Removes the versions <paramref name="remove"/> selects; returns them.</summary>
    public IReadOnlyList<ServedModel> Remove(Func<ServedModel, bool> remove)
    {
        lock (_writers)
        {
            var removed = All.Where(remove).ToList();
            var next = _models.ToDictionary(p => p.Key, p => p.Value.Except(removed).ToList(), StringComparer.Ordinal);
            Swap(next);
            return removed;
        }
    }

    private void Swap(Dictionary<string, List<ServedModel>> next) =>
        _models = next.Where(p => p.Value.Count > 0)
            .ToFrozenDictionary(p => p.Key, p => p.Value.OrderByDescending(m => m.Version).ToArray(), StringComparer.Ordinal);

    public void Dispose()
    {
        foreach (var model in All)
        {
            model.Dispose();
        }
    }
}
