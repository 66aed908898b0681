using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using SplitNet.Contracts.V1;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Teacher;

namespace SplitNet.Server.Tests;

/// <summary>A real Kestrel server on a free loopback port, serving the shipped teacher.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public const int MaxReceiveMessageBytes = 128 * 1024;
    public const int MaxFrameBytes = 64 * 1024;

    public static string TeacherDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "assets", "models", "teacher");

    private WebApplication? _app;

    public GrpcChannel Channel { get; private set; } = null!;
    public SplitInference.SplitInferenceClient Client { get; private set; } = null!;
    public TeacherNet Teacher { get; private set; } = null!;
    public TeacherManifest Manifest { get; private set; } = null!;
    public LabeledImages Sample { get; } =
        FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fashion-mnist-sample"), DatasetSplit.Test);

    public async Task InitializeAsync()
    {
        (Teacher, Manifest) = TeacherBundle.Load(TeacherDirectory);
        _app = SplitNetServerHost.Build([], IPAddress.Loopback, 0, options =>
        {
            options.Models = [TeacherDirectory];
            options.MaxReceiveMessageBytes = MaxReceiveMessageBytes;
            options.MaxFrameBytes = MaxFrameBytes;
        }, LogLevel.Warning);
        await _app.StartAsync();
        Channel = GrpcChannel.ForAddress(_app.Urls.First());
        Client = new SplitInference.SplitInferenceClient(Channel);
    }

    public async Task DisposeAsync()
    {
        Channel.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Teacher.Dispose();
    }
}

[CollectionDefinition(nameof(ServerCollection), DisableParallelization = true)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>;
