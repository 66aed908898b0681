using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SplitNet.Models.Teacher;

namespace SplitNet.Server.Models;

/// <summary>Loads every model and runs one forward per split point and rate level before the server takes traffic.</summary>
internal sealed class WarmUpService(ModelRegistry registry, ILogger<WarmUpService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var model in registry.Teachers)
        {
            var clock = Stopwatch.StartNew();
            for (byte split = 0; split < (byte)TeacherStage.Head; split++)
            {
                model.Tail(split).Probabilities(new float[model.FeatureShape(split)!.ElementCount]);
            }
            ServerLog.WarmedUp(logger, model.Id, clock.Elapsed.TotalMilliseconds);
        }
        foreach (var model in registry.SplitModels)
        {
            var clock = Stopwatch.StartNew();
            foreach (var level in model.Levels)
            {
                level.Tail.Probabilities(new float[model.LatentSize]);
            }
            ServerLog.WarmedUp(logger, model.Id, clock.Elapsed.TotalMilliseconds);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
