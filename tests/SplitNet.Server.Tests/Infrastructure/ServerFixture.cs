using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SplitNet.Contracts.V1;
using SplitNet.Codec.Entropy;
using SplitNet.Models.Bundles;
using SplitNet.Models.Export;
using SplitNet.Models.Split;
using SplitNet.OnnxRuntime;
using SplitNet.Server.Serving;
using SplitNet.Models.Student;
using SplitNet.Models.Data;
using SplitNet.Models.Teacher;

namespace SplitNet.Server.Tests;

/// <summary>
/// A real Kestrel server on a free loopback port, serving the shipped teacher and a small split
/// model whose server parts run on <see cref="Backend"/>.
/// </summary>
public class ServerFixture : IAsyncLifetime
{
    public const int MaxReceiveMessageBytes = 128 * 1024;
    public const int MaxFrameBytes = 64 * 1024;

    public static string TeacherDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "assets", "models", "teacher");

    /// <summary>The shipped vision split model, edge/ and server/ bundles (the tests' own servers use a tiny one).</summary>
    public static string ShippedSplitModelDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "assets", "models", "entropic");

    private WebApplication? _app;

    public GrpcChannel Channel { get; private set; } = null!;
    public SplitInference.SplitInferenceClient Client { get; private set; } = null!;
    public TeacherNet Teacher { get; private set; } = null!;
    public TeacherManifest Manifest { get; private set; } = null!;
    public LabeledImages Sample { get; } =
        FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fashion-mnist-sample"), DatasetSplit.Test);

    /// <summary>An untrained two-level entropic split model, bundled for edge and server.</summary>
    public string SplitEdgeDirectory { get; } = Path.Combine(Path.GetTempPath(), $"splitnet-edge-{Guid.NewGuid():N}");
    public string SplitServerDirectory { get; } = Path.Combine(Path.GetTempPath(), $"splitnet-server-{Guid.NewGuid():N}");
    public EntropicStudent[] SplitLevels { get; private set; } = [];

    /// <summary>What runs the split model's parts, on the server and in <see cref="EdgeFamilies"/>.</summary>
    public virtual ModelBackend Backend => ModelBackend.Torch;

    /// <summary>The families an edge loads the split model's edge bundle with, on <see cref="Backend"/>.</summary>
    public IReadOnlyList<ISplitModelFamily> EdgeFamilies =>
        Backend == ModelBackend.OnnxRuntime ? [new OnnxRuntimeFamily(new OnnxRuntimeOptions())] : TorchFamilies.All;

    public async Task InitializeAsync()
    {
        (Teacher, Manifest) = TeacherBundle.Load(TeacherDirectory);
        SplitLevels = [.. new[] { 21, 22 }.Select(seed => TinySplitModels.Student(Teacher, seed))];
        TorchBundles.Save([(SplitLevels[0], 8.0, null), (SplitLevels[1], 2.0, null)], new SplitModelManifest
        {
            ModelId = "test-entropic",
            TeacherModelId = Manifest.ModelId,
            Teacher = Teacher.Config,
            Architecture = SplitLevels[0].Config,
            Stream = LatentStream.Compact,
            Labels = Manifest.Labels,
            Normalization = Manifest.Normalization,
            Levels = [],
        }, SplitEdgeDirectory, SplitServerDirectory);
        if (Backend == ModelBackend.OnnxRuntime)
        {
            SplitModelOnnxExport.Export(SplitEdgeDirectory, SplitServerDirectory);
        }
        MetricsPort = FreePort();
        _app = SplitNetServerHost.Build([], options =>
        {
            options.Port = 0;
            options.MetricsPort = MetricsPort;
            options.Models = [TeacherDirectory, SplitServerDirectory];
            options.MaxReceiveMessageBytes = MaxReceiveMessageBytes;
            options.MaxFrameBytes = MaxFrameBytes;
            options.MaxBatchSize = 16;
            options.TorchThreads = 1;
            options.Backend = Backend;
        }, LogLevel.Warning);
        Logs = TestServer.Capture(_app);
        await _app.StartAsync().WithTimeout();
        await _app.WhenReadyAsync().WithTimeout();
        Url = GrpcUrl(_app);
        Channel = GrpcChannel.ForAddress(Url);
        Client = new SplitInference.SplitInferenceClient(Channel);
    }

    public string Url { get; private set; } = "";

    /// <summary>Everything the server logged at warning level or above, for each test's <see cref="VerifyNoErrorsScope"/>.</summary>
    public CapturingLoggerProvider Logs { get; private set; } = null!;

    /// <summary>Softmax of the whole (uncoded) student of one rate level on one sample image.</summary>
    public float[] LocalSplitProbabilities(int level, int image)
    {
        using var mode = TorchSharp.torch.inference_mode();
        using var scope = TorchSharp.torch.NewDisposeScope();
        var x = ImageTensors.Single(Sample.Image(image), 28, 28);
        return TorchSharp.torch.nn.functional.softmax(SplitLevels[level].call(x), 1).data<float>().ToArray();
    }
    public int MetricsPort { get; private set; }

    /// <summary>The gRPC endpoint of a started server (the one that is not the metrics port).</summary>
    public static string GrpcUrl(WebApplication app) =>
        app.Urls.First(u => app.Services.GetRequiredService<IOptions<SplitNetServerOptions>>().Value.MetricsPort is int m && (m == 0 || !u.EndsWith($":{m}", StringComparison.Ordinal)));

    /// <summary>A loopback port free right now.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        Channel.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync().WithTimeout();
            await _app.DisposeAsync().WithTimeout();
        }
        Teacher.Dispose();
        foreach (var level in SplitLevels)
        {
            level.Dispose();
        }
        Directory.Delete(SplitEdgeDirectory, recursive: true);
        Directory.Delete(SplitServerDirectory, recursive: true);
    }
}

/// <summary>The same server with the split model exported to ONNX and served by ONNX Runtime.</summary>
public sealed class OnnxRuntimeServerFixture : ServerFixture
{
    public override ModelBackend Backend => ModelBackend.OnnxRuntime;
}

[CollectionDefinition(nameof(ServerCollection), DisableParallelization = true)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>;

[CollectionDefinition(nameof(OnnxRuntimeServerCollection), DisableParallelization = true)]
public sealed class OnnxRuntimeServerCollection : ICollectionFixture<OnnxRuntimeServerFixture>;
