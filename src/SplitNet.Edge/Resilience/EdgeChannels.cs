using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace SplitNet.Edge.Resilience;

/// <summary>
/// The channel behind one endpoint. <c>http://</c> and <c>https://</c> reach one server (or one L7
/// proxy); <c>dns:///host:port</c> balances round robin over every address the name resolves to,
/// re-resolved as they change (a Kubernetes headless service); <c>static:///a:port,b:port</c> over
/// a fixed list. A balanced channel is plain text unless a server CA file is given, and comes with
/// the readiness of its replicas (<see cref="SpreadingRoundRobin"/>).
/// </summary>
internal static class EdgeChannels
{
    public const string StaticScheme = "static";

    public static (GrpcChannel Channel, ReplicaReadiness? Readiness) Create(Uri endpoint, EdgeClientOptions options)
    {
        if (endpoint.Scheme is "http" or "https")
        {
            return (GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions { HttpHandler = EdgeTls.Handler(options) }), null);
        }
        var readiness = new ReplicaReadiness();
        var services = new ServiceCollection().AddSingleton<LoadBalancerFactory>(new SpreadingRoundRobin(readiness));
        if (endpoint.Scheme == StaticScheme)
        {
            var addresses = StaticAddresses(endpoint);
            services.AddSingleton<ResolverFactory>(new StaticResolverFactory(_ => addresses));
        }
        else if (endpoint.Scheme != "dns")
        {
            throw new ArgumentException($"endpoint {endpoint}: use http://, https://, dns:///host:port or static:///host:port,host:port", nameof(endpoint));
        }
        var channel = new GrpcChannelOptions
        {
            HttpHandler = EdgeTls.Handler(options),
            Credentials = options.ServerCaFile is null ? ChannelCredentials.Insecure : ChannelCredentials.SecureSsl,
            ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new LoadBalancingConfig(SpreadingRoundRobin.PolicyName) } },
            ServiceProvider = services.BuildServiceProvider(),
        };
        return (GrpcChannel.ForAddress(endpoint, channel), readiness);
    }

    private static BalancerAddress[] StaticAddresses(Uri endpoint)
    {
        var list = endpoint.AbsolutePath.Trim('/').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var addresses = list.Select(a => a.LastIndexOf(':') is > 0 and var colon && int.TryParse(a[(colon + 1)..], out int port)
            ? new BalancerAddress(a[..colon], port)
            : throw new ArgumentException($"endpoint {endpoint}: '{a}' is not host:port", nameof(endpoint))).ToArray();
        return addresses.Length > 0 ? addresses : throw new ArgumentException($"endpoint {endpoint}: no addresses", nameof(endpoint));
    }
}
