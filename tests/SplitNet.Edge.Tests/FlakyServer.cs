using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SplitNet.Contracts.V1;
using SplitNet.Server.Tests;

namespace SplitNet.Edge.Tests;

/// <summary>
/// A misbehaving server for edge tests: it answers every frame twice (class = frame id mod 10)
/// and breaks each stream after its fifth frame without answering it.
/// </summary>
internal sealed class FlakyServer : IAsyncDisposable
{
    public const int BreakAfter = 5;

    private readonly WebApplication _app;

    private FlakyServer(WebApplication app, CapturingLoggerProvider logs) => (_app, Logs) = (app, logs);

    public string Url => _app.Urls.First();

    /// <summary>Everything the server logged at warning level or above.</summary>
    public CapturingLoggerProvider Logs { get; }

    public static async Task<FlakyServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<Service>();
        var logs = TestServer.Capture(app);
        await app.StartAsync().WithTimeout();
        return new FlakyServer(app, logs);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WithTimeout();
        await _app.DisposeAsync().WithTimeout();
    }

    private sealed class Service : SplitInference.SplitInferenceBase
    {
        public override async Task InferStream(IAsyncStreamReader<InferRequest> requests, IServerStreamWriter<InferResponse> responses, ServerCallContext context)
        {
            int frames = 0;
            await foreach (var request in requests.ReadAllAsync(context.CancellationToken))
            {
                if (++frames == BreakAfter)
                {
                    throw new RpcException(new Status(StatusCode.Unavailable, "flaky server dropped the stream"));
                }
                var answer = new InferResponse { FrameId = request.FrameId, Predictions = { new ClassScore { ClassId = (uint)(request.FrameId % 10), Probability = 0.9f } } };
                await responses.WriteAsync(answer);
                await responses.WriteAsync(answer);
            }
        }
    }
}
