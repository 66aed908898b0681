using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SplitNet.Models.Split;
using SplitNet.Server.Inference;
using SplitNet.Server.Services;

namespace SplitNet.Server.Serving;

/// <summary>
/// Loads every configured model at start, warms the inference workers on them and then reports
/// the server ready; afterwards loads and unloads repository models on request. A new version is
/// loaded and warmed before it is published, and a replaced or unloaded version is disposed only
/// after its last in-flight request, so no request fails across a swap.
/// </summary>
internal sealed class ModelManager(
    ModelRegistry registry,
    InferenceEngine engine,
    ServerHealth health,
    IOptions<SplitNetServerOptions> options,
    ModelBackends backends,
    ILogger<ModelManager> logger) : BackgroundService
{
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly SplitNetServerOptions _options = options.Value;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True once the start-up models are loaded and every worker has run them.</summary>
    public bool Ready => _ready.Task.IsCompletedSuccessfully;

    /// <summary>Completes when <see cref="Ready"/> turns true; faults when start-up fails.</summary>
    public Task WhenReady => _ready.Task;

    /// <summary>The model repository, when one is configured.</summary>
    public string? Repository => _options.ModelRepository;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var models = await Task.Run(LoadStartupModels, stoppingToken).ConfigureAwait(false);
            registry.Publish(models);
            engine.Start(models);
            await engine.Ready.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            ServerLog.StartupFailed(logger, e);
            _ready.TrySetException(e);
            throw;
        }
        health.SetServing(true);
        _ready.TrySetResult();
        ServerLog.WarmedUp(logger, registry.All.Count(), clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// Loads every version folder of <paramref name="name"/> in the repository that is not served
    /// yet, warms and publishes it, then retires served versions whose folder is gone.
    /// </summary>
    public async Task<IReadOnlyList<ServedModel>> LoadAsync(string name, CancellationToken cancellation)
    {
        var repository = Repository ?? throw new InvalidOperationException("no model repository is configured (SplitNet:Server:ModelRepository)");
        await _changes.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            var folders = ModelBundles.Scan(repository, name);
            if (folders.Count == 0)
            {
                throw new DirectoryNotFoundException($"{Path.Combine(repository, name)}: no version folders (1/, 2/, …) in the model repository.");
            }
            var served = registry.Versions(name);
            var loaded = new List<ServedModel>();
            foreach (var (_, version, directory) in folders.Where(f => !served.Any(s => s.Version == f.Version)))
            {
                var model = await Task.Run(() => ModelBundles.Load(directory, backends, name, version), cancellation).ConfigureAwait(false);
                await engine.WarmUpAsync(model).ConfigureAwait(false);
                loaded.Add(model);
            }
            registry.Publish(loaded);
            foreach (var model in loaded)
            {
                ServerLog.ModelLoaded(logger, model.Id, model.Version, model.Directory, Backend(model));
            }
            var gone = registry.Remove(m => m.Id == name && !folders.Any(f => f.Version == m.Version));
            await RetireAsync(gone).ConfigureAwait(false);
            return loaded;
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Stops serving every version of <paramref name="name"/>; returns them once disposed.</summary>
    public async Task<IReadOnlyList<ServedModel>> UnloadAsync(string name, CancellationToken cancellation)
    {
        await _changes.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            var removed = registry.Remove(m => m.Id == name);
            await RetireAsync(removed).ConfigureAwait(false);
            return removed;
        }
        finally
        {
            _changes.Release();
        }
    }

    private async Task RetireAsync(IReadOnlyList<ServedModel> models)
    {
        foreach (var model in models)
        {
            await model.RetireAsync().ConfigureAwait(false);
            model.Dispose();
            ServerLog.ModelUnloaded(logger, model.Id, model.Version);
        }
    }

    private List<ServedModel> LoadStartupModels()
    {
        var directories = _options.Models.Select(d => (Directory: d, Name: (string?)null, Version: (int?)null)).ToList();
        if (Repository is not null)
        {
            directories.AddRange(ModelBundles.Scan(Repository).Select(f => (f.Directory, (string?)f.Name, (int?)f.Version)));
        }
        var models = new List<ServedModel>();
        foreach (var (directory, name, version) in directories)
        {
            var model = ModelBundles.Load(directory, backends, name, version);
            if (models.Any(m => m.Id == model.Id && m.Version == model.Version))
            {
                model.Dispose();
                throw new InvalidOperationException($"{directory}: model '{model.Id}' version {model.Version} is already served from another folder.");
            }
            models.Add(model);
            ServerLog.ModelLoaded(logger, model.Id, model.Version, directory, Backend(model));
        }
        return models;
    }

    public override void Dispose()
    {
        _changes.Dispose();
        base.Dispose();
    }

    private ModelBackend Backend(ServedModel model) => model switch
    {
        ServedSplitModel split => backends.Choose(split.Manifest),
        ServedOnnxSplit => ModelBackend.OnnxRuntime,
        _ => ModelBackend.Torch,
    };
}
