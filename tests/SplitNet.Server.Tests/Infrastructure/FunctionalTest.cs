namespace SplitNet.Server.Tests;

/// <summary>
/// Base of the tests that run servers in-process: each test runs under a
/// <see cref="VerifyNoErrorsScope"/> over the logs of every server it uses, so an error entry it
/// did not declare fails it.
/// </summary>
public abstract class FunctionalTest : IDisposable
{
    /// <param name="logs">Logs of shared servers (a fixture's) the test uses.</param>
    protected FunctionalTest(params CapturingLoggerProvider[] logs) => Errors = new VerifyNoErrorsScope(logs);

    /// <summary>This test's scope: declare expected errors on it.</summary>
    protected VerifyNoErrorsScope Errors { get; }

    /// <summary>Starts a server of the test's own whose logs the scope watches.</summary>
    internal async Task<TestServer> StartServerAsync(Action<SplitNetServerOptions> configure, bool waitUntilReady = true,
        Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        var server = await TestServer.StartAsync(configure, waitUntilReady, services);
        Errors.Watch(server.Logs);
        return server;
    }

    public virtual void Dispose()
    {
        Errors.Dispose();
        GC.SuppressFinalize(this);
    }
}
