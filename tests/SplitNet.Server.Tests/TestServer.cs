using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SplitNet.Server.Tests;

/// <summary>A server of its own for tests that need other settings than the shared fixture.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private TestServer(WebApplication app) => App = app;

    public WebApplication App { get; }
    public string Url => ServerFixture.GrpcUrl(App);

    /// <summary>Builds and starts a server on free loopback ports; waits for warm-up unless told not to.</summary>
    public static async Task<TestServer> StartAsync(Action<SplitNetServerOptions> configure, bool waitUntilReady = true, Action<IServiceCollection>? services = null)
    {
        var app = SplitNetServerHost.Build([], options =>
        {
            options.Port = 0;
            options.MetricsPort = 0;
            // Test tensors are tiny and xUnit runs classes in parallel: keep libtorch on one thread.
            options.TorchThreads = 1;
            configure(options);
        }, LogLevel.Warning, services: services);
        await app.StartAsync();
        if (waitUntilReady)
        {
            await app.WhenReadyAsync();
        }
        return new TestServer(app);
    }

    public GrpcChannel Channel(HttpMessageHandler? handler = null) =>
        GrpcChannel.ForAddress(Url, new GrpcChannelOptions { HttpHandler = handler });

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
