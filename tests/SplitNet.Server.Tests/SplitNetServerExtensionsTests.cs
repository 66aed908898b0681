using Grpc.AspNetCore.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SplitNet.Server.Serving;

namespace SplitNet.Server.Tests;

public sealed class SplitNetServerExtensionsTests
{
    private static IServiceCollection Services()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        return services;
    }

    private static IEnumerable<string> Describe(IServiceCollection services) =>
        services.Select(d => $"{d.Lifetime} {d.ServiceType} {d.ImplementationType?.ToString() ?? d.ImplementationInstance?.GetType().ToString() ?? "factory"}");

    [Fact]
    public void AddSplitNetServer_CalledTwice_RegistersNothingMore()
    {
        var configuration = new ConfigurationBuilder().Build();
        var once = Services().AddSplitNetServer(configuration);
        var twice = Services().AddSplitNetServer(configuration).AddSplitNetServer(configuration);

        Assert.Empty(Describe(twice).Skip(once.Count));
        Assert.Equal(Describe(once), Describe(twice));
        using var provider = twice.BuildServiceProvider();
        Assert.Single(provider.GetRequiredService<IOptions<GrpcServiceOptions>>().Value.Interceptors);
        Assert.Single(provider.GetServices<IHostedService>(), h => h is ModelManager);
        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
    }

    [Fact]
    public void AddSplitNetServer_ATimeProviderRegisteredFirst_IsKept()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var services = Services();
        services.AddSingleton<TimeProvider>(clock);

        using var provider = services.AddSplitNetServer(new ConfigurationBuilder().Build()).BuildServiceProvider();

        Assert.Same(clock, provider.GetRequiredService<TimeProvider>());
    }
}
