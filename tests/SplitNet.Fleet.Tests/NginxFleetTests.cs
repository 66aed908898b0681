namespace SplitNet.Fleet.Tests;

/// <summary>
/// Three <c>splitnet serve</c> replicas behind Debian's nginx (<c>deploy/nginx/splitnet-grpc.conf</c>)
/// on loopback; edges stream through nginx and one replica is SIGKILLed mid-run.
/// </summary>
public sealed class NginxFleetTests
{
    private const int Edges = 6;
    private static readonly TimeSpan Run = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan KillAt = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task ThreeReplicasBehindNginx_OneKilledMidRun_NoFrameLostOrAnsweredTwice_AndTrafficReSpreads()
    {
        var metrics = Enumerable.Range(0, 3).Select(_ => Fleet.FreePort()).ToArray();
        var replicas = new List<ServeProcess>();
        try
        {
            foreach (var port in metrics)
            {
                replicas.Add(await ServeProcess.StartAsync(Fleet.Splitnet, ServeProcess.FreePort(), ["--model", Fleet.EntropicServer], CancellationToken.None, port)
                    .WaitAsync(TimeSpan.FromMinutes(2)));
            }
            using var nginx = await NginxProcess.StartAsync(Path.Combine(Fleet.Root, "deploy", "nginx", "splitnet-grpc.conf"), replicas.Select(r => r.Port));
            var images = FashionMnist.Load(Fleet.Sample, DatasetSplit.Test);
            var runs = Enumerable.Range(0, Edges).Select(e => Task.Run(() => EdgeAsync(nginx.Url, images, e))).ToArray();

            await Task.Delay(KillAt);
            var beforeKill = await Task.WhenAll(metrics.Select(Fleet.AnsweredAsync));
            // On a slow machine the streams can take longer to reach every replica: wait (bounded, still mid-run) until they have.
            for (var waited = TimeSpan.Zero; beforeKill.Any(a => a == 0) && waited < TimeSpan.FromSeconds(2); waited += TimeSpan.FromMilliseconds(250))
            {
                await Task.Delay(250);
                beforeKill = await Task.WhenAll(metrics.Select(Fleet.AnsweredAsync));
            }
            replicas[0].Kill();
            var reports = await Task.WhenAll(runs).WaitAsync(Run + TimeSpan.FromSeconds(60));
            var after = await Task.WhenAll(metrics.Skip(1).Select(Fleet.AnsweredAsync));

            Assert.All(beforeKill, answered => Assert.True(answered > 0, $"a replica served nothing before the kill: {string.Join(", ", beforeKill)}"));
            Assert.All(reports, r =>
            {
                Assert.True(r.Frames > 100, $"only {r.Frames} frames");
                Assert.Equal(0, r.Failed);
                Assert.Equal(0, r.Duplicates);
                Assert.Equal(r.Frames, r.Sources.GetValueOrDefault(nameof(AnswerSource.Server)));
            });
            Assert.True(after[0] > beforeKill[1] && after[1] > beforeKill[2],
                $"the surviving replicas did not take the traffic: before the kill {string.Join(", ", beforeKill)}, after {string.Join(", ", after)}");
        }
        finally
        {
            replicas.ForEach(r => r.Dispose());
        }
    }

    private static async Task<EdgeReport> EdgeAsync(string url, LabeledImages images, int edge)
    {
        using var model = SplitModel.Load(Fleet.EntropicEdge, BundleSide.Edge, [new OnnxRuntimeFamily(new OnnxRuntimeOptions())]);
        var head = new LatentEdgeHead(model, (uint)model.Manifest.DefaultLevel);
        var deadline = TimeSpan.FromSeconds(5);
        await using var client = new EdgeClient(new EdgeClientOptions { Endpoints = [new Uri(url)], Window = 8, FrameDeadline = deadline }, head.Open);
        return await EdgeRunner.RunAsync(head, client, new DatasetSource(images, $"edge {edge}"), new EdgeRunOptions
        {
            FrameRate = 30,
            Duration = Run,
            Deadline = deadline,
        });
    }
}
