using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SplitNet.Server.Inference;

namespace SplitNet.Server.Models;

/// <summary>
/// Holds start-up until every model is loaded and every inference worker has run each of them
/// once, so the first requests do not pay libtorch's set-up.
/// </summary>
internal sealed class WarmUpService(InferenceEngine engine, ILogger<WarmUpService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await engine.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        ServerLog.WarmedUp(logger, clock.Elapsed.TotalMilliseconds);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
