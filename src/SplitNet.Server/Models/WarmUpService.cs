using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SplitNet.Models.Teacher;
using SplitNet.Server.Inference;

namespace SplitNet.Server.Models;

/// <summary>Loads every model and runs one forward per split point before the server takes traffic.</summary>
internal sealed class WarmUpService(ModelRegistry registry, ILogger<WarmUpService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var model in registry.All)
        {
            var clock = Stopwatch.StartNew();
            for (var split = TeacherStage.Stem; split < TeacherStage.Head; split++)
            {
                var shape = model.FeatureShape((byte)split)!;
                InferenceEngine.Execute(model.Network, split, new float[shape.ElementCount], shape.Dimensions.ToArray());
            }
            ServerLog.WarmedUp(logger, model.Id, clock.Elapsed.TotalMilliseconds);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
