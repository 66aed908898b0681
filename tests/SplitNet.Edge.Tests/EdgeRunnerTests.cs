using SplitNet.Codec;
using SplitNet.Edge.Resilience;
using SplitNet.Edge.Sources;
using SplitNet.Models.Teacher;
using SplitNet.Server.Tests;

namespace SplitNet.Edge.Tests;

[Collection(nameof(ServerCollection))]
public sealed class EdgeRunnerTests(ServerFixture server) : FunctionalTest(server.Logs)
{
    [Fact]
    public async Task EdgeRunner_SampleSubset_AnswersEveryFrameAsAccuratelyAsTheLocalTeacher()
    {
        var head = LocalTeacher.Head(server.Teacher, server.Manifest, TeacherStage.Stage2, CodecId.Affine8Lz4);
        var images = server.Sample.Take(120);
        var local = Enumerable.Range(0, images.Count)
            .Count(i => LocalTeacher.ArgMax(LocalTeacher.Probabilities(server.Teacher, images.Image(i))) == images.Labels[i]) / 120.0;

        await using var client = new EdgeClient(new EdgeClientOptions { Endpoints = [new Uri(server.Url)], Window = 4, FrameDeadline = TimeSpan.FromSeconds(20) }, head.Open);
        var report = await EdgeRunner.RunAsync(head, client, new DatasetSource(images, "sample"), new EdgeRunOptions()).WithTimeout();

        Assert.Equal(120, report.Frames);
        Assert.Equal(0, report.Failed);
        Assert.Equal(0, report.Duplicates);
        Assert.Equal(120, report.Sources["Server"]);
        Assert.InRange(client.MaxInFlight, 1, 4);
        Assert.InRange(report.Accuracy, local - 0.025, local + 0.025);
        Assert.True(report.MessageBytesPerFrame > report.BytesPerFrame && report.BytesPerFrame > 100);
        Assert.True(report.LatencyMs.P99 >= report.LatencyMs.P50 && report.LatencyMs.P50 > 0);
    }
}
