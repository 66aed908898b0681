using SplitNet.Edge.Resilience;
using SplitNet.Edge.Sources;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Models.Student;
using SplitNet.Server.Tests;

namespace SplitNet.Edge.Tests;

[Collection(nameof(ServerCollection))]
public sealed class EarlyExitTests(ServerFixture server) : FunctionalTest(server.Logs)
{
    private readonly string _edge = Directory.CreateTempSubdirectory("splitnet-exit-").FullName;

    private LatentEdgeHead HeadWithExits()
    {
        foreach (var file in Directory.GetFiles(server.SplitEdgeDirectory))
        {
            File.Copy(file, Path.Combine(_edge, Path.GetFileName(file)));
        }
        var (manifest, _) = TorchBundles.Load(_edge, BundleSide.Edge);
        TorchSharp.torch.random.manual_seed(3);
        using (var exit = new EarlyExitHead(manifest.Latent!.Channels, manifest.Labels.Count))
        {
            EarlyExitBundle.Save(_edge, 0, exit, accuracy: 0.5);
        }
        var reloaded = SplitModel.Load(_edge, BundleSide.Edge, TorchFamilies.All);
        return new LatentEdgeHead(reloaded, 0, EarlyExit.All(EarlyExitBundle.Load(_edge, reloaded.Manifest), reloaded.Latent));
    }

    [Theory]
    [InlineData(0.0, 30, 0)]
    [InlineData(1.01, 0, 30)]
    public async Task Threshold_DecidesWhichFramesAreAnsweredOnTheEdgeAndSendNothing(double tau, int onEdge, int onServer)
    {
        var head = HeadWithExits();
        await using var client = new EdgeClient(new EdgeClientOptions { Endpoints = [new Uri(server.Url)], FrameDeadline = TimeSpan.FromSeconds(20) }, head.Open);

        var report = await EdgeRunner.RunAsync(head, client, new DatasetSource(server.Sample.Take(30), "sample"), new EdgeRunOptions { EarlyExitThreshold = tau }).WithTimeout();

        Assert.Equal(onEdge, report.Sources.GetValueOrDefault("EarlyExit"));
        Assert.Equal(onServer, report.Sources.GetValueOrDefault("Server"));
        Assert.Equal(onServer == 0, report.BytesPerFrame == 0);
    }

    [Fact]
    public void Bundle_RecordsTheHeadAndRefusesATamperedFile()
    {
        var head = HeadWithExits();
        var frame = head.Encode(server.Sample.Image(0));
        Assert.NotNull(frame.EarlyExit);
        Assert.Equal(1.0, frame.EarlyExit!.Sum(), 3);

        File.AppendAllText(Path.Combine(_edge, "level0.exit.safetensors"), "x");
        var (manifest, _) = TorchBundles.Load(_edge, BundleSide.Edge);
        var error = Assert.Throws<InvalidDataException>(() => EarlyExitBundle.Load(_edge, manifest));
        Assert.Contains("level0.exit.safetensors", error.Message);
    }

    public override void Dispose()
    {
        Directory.Delete(_edge, recursive: true);
        base.Dispose();
    }
}
