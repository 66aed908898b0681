using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using SplitNet.Server;
using SplitNet.Server.Inference;
using SplitNet.Server.Models;
using SplitNet.Server.Services;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers and maps the SplitNet server.</summary>
public static class SplitNetServerExtensions
{
    /// <summary>
    /// Adds the SplitNet services, bound from <c>SplitNet:Server</c> and then
    /// <paramref name="configure"/>, validated at start.
    /// </summary>
    public static IServiceCollection AddSplitNetServer(this IServiceCollection services, IConfiguration configuration, Action<SplitNetServerOptions>? configure = null)
    {
        var options = services.AddOptions<SplitNetServerOptions>()
            .Bind(configuration.GetSection(SplitNetServerOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        services.AddGrpc();
        services.AddOptions<Grpc.AspNetCore.Server.GrpcServiceOptions>()
            .Configure<Microsoft.Extensions.Options.IOptions<SplitNetServerOptions>>((grpc, splitnet) =>
            {
                grpc.MaxReceiveMessageSize = splitnet.Value.MaxReceiveMessageBytes;
            });
        services.AddSingleton<ModelRegistry>();
        services.AddSingleton<InferenceEngine>();
        services.AddSingleton<FrameProcessor>();
        services.AddHostedService<WarmUpService>();
        return services;
    }

    /// <summary>Maps the <c>splitnet.v1</c> gRPC services.</summary>
    public static IEndpointRouteBuilder MapSplitNet(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<SplitInferenceService>();
        return endpoints;
    }
}
