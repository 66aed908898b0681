using Grpc.HealthCheck;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SplitNet.Models.Split;
using SplitNet.Server;
using SplitNet.Server.Inference;
using SplitNet.Server.Serving;
using SplitNet.Server.Security;
using SplitNet.Server.Services;
using SplitNet.Server.Telemetry;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers and maps the SplitNet server.</summary>
public static class SplitNetServerExtensions
{
    /// <summary>
    /// Adds the SplitNet services, bound from <c>SplitNet:Server</c> and then
    /// <paramref name="configure"/>, validated at start. Calling it again adds nothing but
    /// <paramref name="configure"/>.
    /// </summary>
    public static IServiceCollection AddSplitNetServer(this IServiceCollection services, IConfiguration configuration, Action<SplitNetServerOptions>? configure = null)
    {
        // Options binding and validation, gRPC reflection's options and the OpenTelemetry builders
        // register again on every call; they run once.
        if (!services.Any(d => d.ServiceType == typeof(FrameProcessor)))
        {
            AddOptionsAndTelemetry(services, configuration);
        }
        if (configure is not null)
        {
            services.Configure(configure);
        }
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ApiKeyInterceptor>();
        services.TryAddSingleton<ServerMetrics>();
        services.TryAddSingleton<ServerHealth>();
        services.TryAddSingleton(provider => provider.GetRequiredService<ServerHealth>().Service);
        services.TryAddSingleton<ModelRegistry>();
        services.TryAddSingleton<Deadlines>();
        services.TryAddSingleton<DecodeBudget>();
        services.TryAddSingleton<ClientLogThrottles>();
        services.TryAddSingleton<InferenceEngine>();
        services.TryAddSingleton<ModelBackends>();
        services.TryAddSingleton<ModelManager>();
        services.AddHostedService(provider => provider.GetRequiredService<ModelManager>());
        services.AddHostedService<ShutdownGrace>();
        services.TryAddSingleton<FrameProcessor>();
        services.TryAddSingleton<ServerDrain>();
        foreach (var family in TorchFamilies.All)
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(ISplitModelFamily), family));
        }
        return services;
    }

    private static void AddOptionsAndTelemetry(IServiceCollection services, IConfiguration configuration)
    {
        services.AddGrpc();
        services.AddGrpcReflection();
        services.AddOptions<SplitNetServerOptions>()
            .Bind(configuration.GetSection(SplitNetServerOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<Grpc.AspNetCore.Server.GrpcServiceOptions>()
            .Configure<IOptions<SplitNetServerOptions>>((grpc, splitnet) =>
            {
                grpc.Interceptors.Add<ApiKeyInterceptor>();
                grpc.MaxReceiveMessageSize = splitnet.Value.MaxReceiveMessageBytes;
            });
        services.AddOptions<HostOptions>()
            .Configure<IOptions<SplitNetServerOptions>>((host, splitnet) => host.ShutdownTimeout = TimeSpan.FromSeconds(splitnet.Value.ShutdownTimeoutSeconds));
        var telemetry = services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddMeter(ServerMetrics.MeterName, "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Hosting")
                .AddPrometheusExporter());
        // Spans cost nothing until something listens: export them only where a collector is named.
        if (!string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.WithTracing(tracing => tracing.AddSource(ServerTracing.SourceName).AddOtlpExporter());
        }
    }

    /// <summary>
    /// Maps <c>splitnet.v1</c>, the Open Inference Protocol, <c>grpc.health.v1</c>, reflection and
    /// (on the metrics port) the Prometheus endpoint. Shutdown (health, draining the streams) is <see cref="ShutdownGrace"/>.
    /// </summary>
    public static IEndpointRouteBuilder MapSplitNet(this IEndpointRouteBuilder endpoints)
    {
        var services = endpoints.ServiceProvider;
        var options = services.GetRequiredService<IOptions<SplitNetServerOptions>>().Value;
        endpoints.MapGrpcService<SplitInferenceService>();
        endpoints.MapGrpcService<InferenceProtocolService>();
        endpoints.MapGrpcService<HealthServiceImpl>();
        endpoints.MapGrpcReflectionService();
        if (options.MetricsPort > 0)
        {
            ((IApplicationBuilder)endpoints).UseOpenTelemetryPrometheusScrapingEndpoint(
                context => context.Connection.LocalPort == options.MetricsPort && context.Request.Path == "/metrics");
        }
        return endpoints;
    }
}
