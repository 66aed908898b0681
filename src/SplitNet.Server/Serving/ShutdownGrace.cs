using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SplitNet.Server.Services;

namespace SplitNet.Server.Serving;

/// <summary>
/// The first step of shutdown, before any hosted service (the web server among them) stops:
/// health turns NOT_SERVING, every stream is told to end (each answers what it read and ends
/// with UNAVAILABLE), and the web server is held open until they have ended and then for
/// <see cref="SplitNetServerOptions.ShutdownGraceMilliseconds"/> more. Without it the web server
/// closes connections while streams are still finishing, and their clients see a broken
/// connection (INTERNAL) instead of the status that tells them to reconnect elsewhere.
/// </summary>
internal sealed class ShutdownGrace(
    ServerDrain drain,
    ServerHealth health,
    IOptions<SplitNetServerOptions> options,
    TimeProvider clock,
    ILogger<ShutdownGrace> logger) : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        health.SetServing(false);
        ServerLog.Draining(logger, drain.Open);
        if (!await drain.DrainAsync(TimeSpan.FromSeconds(settings.ShutdownTimeoutSeconds), clock, cancellationToken).ConfigureAwait(false))
        {
            ServerLog.DrainTimedOut(logger, drain.Open, settings.ShutdownTimeoutSeconds);
        }
        await Task.Delay(TimeSpan.FromMilliseconds(settings.ShutdownGraceMilliseconds), clock, cancellationToken).ConfigureAwait(false);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
