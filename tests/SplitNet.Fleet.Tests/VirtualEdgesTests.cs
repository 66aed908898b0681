namespace SplitNet.Fleet.Tests;

public sealed class VirtualEdgesTests
{
    [Fact]
    public async Task VirtualEdges_EachRunsTheEdgePipeline_AndTheTotalsAddUp()
    {
        using var replica = await ServeProcess.StartAsync(Fleet.Splitnet, ServeProcess.FreePort(), ["--model", Fleet.EntropicServer], CancellationToken.None)
            .WaitAsync(TimeSpan.FromMinutes(2));
        var models = new List<SplitModel>();
        LatentEdgeHead Encoder()
        {
            var model = SplitModel.Load(Fleet.EntropicEdge, BundleSide.Edge, [new OnnxRuntimeFamily(new OnnxRuntimeOptions())]);
            lock (models)
            {
                models.Add(model);
            }
            return new LatentEdgeHead(model, 1);
        }
        try
        {
            var result = await VirtualEdges.RunAsync(Encoder, new DatasetSource(FashionMnist.Load(Fleet.Sample, DatasetSplit.Test), "sample"), [new Uri(replica.Url)],
                new VirtualEdgeProfile(3, 20, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), Adaptive: true)).WaitAsync(TimeSpan.FromMinutes(1));

            Assert.Equal(3, models.Count);
            // The cameras keep their schedule however loaded the machine: what an encoder cannot take is dropped at capture.
            Assert.InRange(result.Frames + result.DroppedAtCapture, 90, 130);
            Assert.InRange(result.Frames, 30, 130);
            Assert.Equal(0, result.Failed);
            Assert.Equal(result.Frames, result.Sources["Server"]);
            Assert.InRange(result.FramesPerSecond, 15, 75);
            Assert.True(result.BytesPerFrame > 0);
        }
        finally
        {
            models.ForEach(m => m.Dispose());
        }
    }
}
