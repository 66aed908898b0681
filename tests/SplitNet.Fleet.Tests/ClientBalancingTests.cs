namespace SplitNet.Fleet.Tests;

/// <summary>Client-side balancing, as over a headless service: one balanced endpoint naming three replicas on three loopback addresses.</summary>
public sealed class ClientBalancingTests
{
    // Each edge opens one stream on a replica drawn uniformly once all are connected: with 24
    // edges, some replica gets none with probability 3·(2/3)^24 ≈ 2·10⁻⁴. With six edges opening
    // on whichever replica answered first, CI once saw 80, 160 and 0 frames.
    private const int Edges = 24;
    private const int FramesPerEdge = 10;

    [Fact]
    public async Task StaticEndpointOverThreeAddresses_SpreadsTheEdgesStreamsOverEveryReplica()
    {
        string[] hosts = ["127.0.0.1", "127.0.0.2", "127.0.0.3"];
        var metrics = hosts.Select(_ => Fleet.FreePort()).ToArray();
        var replicas = new List<ServeProcess>();
        try
        {
            for (int i = 0; i < hosts.Length; i++)
            {
                replicas.Add(await ServeProcess.StartAsync(Fleet.Splitnet, ServeProcess.FreePort(), ["--model", Fleet.EntropicServer], CancellationToken.None, metrics[i], hosts[i])
                    .WaitAsync(TimeSpan.FromMinutes(2)));
            }
            var endpoint = new Uri($"static:///{string.Join(",", replicas.Select(r => $"{r.Host}:{r.Port}"))}");
            var images = FashionMnist.Load(Fleet.Sample, DatasetSplit.Test).Take(FramesPerEdge);

            var reports = await Task.WhenAll(Enumerable.Range(0, Edges).Select(e => Task.Run(async () =>
            {
                using var model = SplitModel.Load(Fleet.EntropicEdge, BundleSide.Edge, [new OnnxRuntimeFamily(new OnnxRuntimeOptions())]);
                var head = new LatentEdgeHead(model, (uint)model.Manifest.DefaultLevel);
                await using var client = new EdgeClient(new EdgeClientOptions { Endpoints = [endpoint], Window = 4, FrameDeadline = TimeSpan.FromSeconds(5) }, head.Open);
                return await EdgeRunner.RunAsync(head, client, new DatasetSource(images, $"edge {e}"), new EdgeRunOptions { Deadline = TimeSpan.FromSeconds(5) });
            }))).WaitAsync(TimeSpan.FromMinutes(2));
            var served = await Task.WhenAll(hosts.Select((h, i) => Fleet.AnsweredAsync(h, metrics[i])));

            Assert.All(reports, r => Assert.Equal((FramesPerEdge, 0), (r.Frames, r.Failed)));
            Assert.Equal(Edges * FramesPerEdge, served.Sum());
            Assert.All(served, n => Assert.True(n > 0, $"frames per replica: {string.Join(", ", served)}"));
        }
        finally
        {
            replicas.ForEach(r => r.Dispose());
        }
    }
}
