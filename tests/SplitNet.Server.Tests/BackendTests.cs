using Microsoft.Extensions.Options;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.OnnxRuntime;
using SplitNet.Server.Serving;
using SplitNet.Server.Tests.Toy;

namespace SplitNet.Server.Tests;

/// <summary>Which backend serves a split model, and what happens when the chosen one cannot.</summary>
public sealed class BackendTests : IDisposable
{
    private static readonly string ShippedServer = SplitModelBundle.SideDirectory(ServerFixture.ShippedSplitModelDirectory, BundleSide.Server);
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"splitnet-backend-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static ModelBackends Backends(Action<SplitNetServerOptions> configure)
    {
        var options = new SplitNetServerOptions();
        configure(options);
        return new ModelBackends(TorchFamilies.All, Options.Create(options));
    }

    [Fact]
    public void Choose_Auto_IsOnnxRuntimeOnlyWhenEveryLevelHasAnExportedServerPart()
    {
        var manifest = SplitModelBundle.ReadManifest(ShippedServer, out _);
        var auto = Backends(_ => { });

        Assert.Equal(ModelBackend.OnnxRuntime, auto.Choose(manifest));
        Assert.Equal(ModelBackend.Torch, auto.Choose(manifest with { Levels = [manifest.Levels[0], manifest.Levels[1] with { ServerOnnx = null }] }));
        Assert.Equal(ModelBackend.Torch, Backends(o => o.Backends[manifest.ModelId] = ModelBackend.Torch).Choose(manifest));
        Assert.Equal(ModelBackend.Torch, Backends(o => o.Backend = ModelBackend.Torch).Choose(manifest));
        Assert.Equal(ModelBackend.OnnxRuntime, Backends(o =>
        {
            o.Backend = ModelBackend.Torch;
            o.Backends[manifest.ModelId] = ModelBackend.OnnxRuntime;
        }).Choose(manifest));
    }

    [Theory]
    [InlineData(ModelBackend.Torch, false)]
    [InlineData(ModelBackend.OnnxRuntime, true)]
    public void Load_ShippedModel_RunsEveryLevelOnTheChosenBackend(ModelBackend backend, bool onnx)
    {
        var backends = Backends(o => o.Backend = backend);

        using var model = (ServedSplitModel)ModelBundles.Load(ShippedServer, backends);

        Assert.All(model.Levels, level => Assert.Equal(onnx, level.Target.Part is OnnxServerPart));
    }

    [Fact]
    public void Load_OnnxRuntimeForABundleNeverExported_SaysHowToExportIt()
    {
        ToyFamily.Save("toy-unexported", OutputKind.Embedding, seed: 3, Path.Combine(_root, "edge"), Path.Combine(_root, "server"));
        var backends = new ModelBackends([new ToyFamily()], Options.Create(new SplitNetServerOptions { Backend = ModelBackend.OnnxRuntime }));

        var error = Assert.Throws<InvalidDataException>(() => ModelBundles.Load(Path.Combine(_root, "server"), backends));

        Assert.Contains(Path.Combine(_root, "server", SplitModelBundle.ManifestFile), error.Message);
        Assert.Contains("splitnet export onnx", error.Message);
    }

    [Fact]
    public void Load_CudaProviderWithoutCuda_NamesTheMissingLibraries()
    {
        var backends = Backends(o =>
        {
            o.Backend = ModelBackend.OnnxRuntime;
            o.OnnxRuntime.ExecutionProvider = ExecutionProvider.Cuda;
        });

        var error = Assert.Throws<InvalidOperationException>(() => ModelBundles.Load(ShippedServer, backends));

        Assert.Contains("CUDA 13 and cuDNN 9", error.Message);
        Assert.Contains("libcudart.so.13", error.Message);
        Assert.Contains("libcudnn.so.9", error.Message);
        Assert.Contains("ExecutionProvider to Cpu", error.Message);
    }
}
