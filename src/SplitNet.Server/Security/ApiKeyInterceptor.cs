using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

using SplitNet.Server.Telemetry;

namespace SplitNet.Server.Security;

/// <summary>
/// Bearer-token (API key) authentication: every call except health, reflection and the OIP
/// liveness/readiness probes must carry <c>authorization: Bearer &lt;key&gt;</c> with one of the
/// configured keys, else it ends with UNAUTHENTICATED. No keys configured = no authentication.
/// </summary>
internal sealed class ApiKeyInterceptor : Interceptor
{
    private static readonly string[] OpenMethods =
    [
        "/grpc.health.v1.Health/",
        "/grpc.reflection.",
        "/inference.GRPCInferenceService/ServerLive",
        "/inference.GRPCInferenceService/ServerReady",
        "/inference.GRPCInferenceService/ModelReady",
    ];

    private readonly byte[][] _keys;
    private readonly ILogger<ApiKeyInterceptor> _logger;
    private readonly LogThrottle _refusals;

    public ApiKeyInterceptor(IOptions<SplitNetServerOptions> options, ILogger<ApiKeyInterceptor> logger, ClientLogThrottles throttles)
    {
        _keys = [.. options.Value.ApiKeys.Select(k => Encoding.UTF8.GetBytes(k))];
        _logger = logger;
        _refusals = throttles.Unauthenticated;
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, responseStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, context);
    }

    private void Authenticate(ServerCallContext context)
    {
        if (_keys.Length == 0 || OpenMethods.Any(m => context.Method.StartsWith(m, StringComparison.Ordinal)))
        {
            return;
        }
        var header = context.RequestHeaders.GetValue("authorization");
        string? problem = header switch
        {
            null => "missing authorization header; send 'authorization: Bearer <api key>'",
            _ when !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) => "authorization header is not a Bearer token",
            _ when !Known(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim())) => "unknown API key",
            _ => null,
        };
        if (problem is not null)
        {
            if (_refusals.TryPass(out long suppressed))
            {
                ServerLog.Unauthenticated(_logger, context.Method, context.Peer, problem, suppressed);
            }
            throw new RpcException(new Status(StatusCode.Unauthenticated, problem));
        }
    }

    private bool Known(byte[] presented)
    {
        bool known = false;
        foreach (var key in _keys)
        {
            known |= CryptographicOperations.FixedTimeEquals(key, presented);
        }
        return known;
    }
}
