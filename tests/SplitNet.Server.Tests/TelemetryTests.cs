using System.Diagnostics;
using Google.Protobuf;
using SplitNet.Codec;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Models.Teacher;

namespace SplitNet.Server.Tests;

[Collection(nameof(ServerCollection))]
public sealed class TelemetryTests(ServerFixture server) : FunctionalTest(server.Logs)
{
    private Task<InferResponse> InferAsync() =>
        server.Client.InferAsync(new InferRequest
        {
            Payload = ByteString.CopyFrom(LocalTeacher.Head(server.Teacher, server.Manifest, TeacherStage.Stage2, CodecId.Affine8Lz4).Encode(server.Sample.Image(1))),
        }).ResponseAsync;

    [Fact]
    public async Task MetricsEndpoint_AfterAFrame_ExposesRequestsQueueComputeBatchPendingAndBytes()
    {
        await InferAsync().WithTimeout();
        using var http = new HttpClient();
        var text = await http.GetStringAsync($"http://127.0.0.1:{server.MetricsPort}/metrics").WithTimeout();

        Assert.Matches($"splitnet_server_requests_total{{[^}}]*model=\"{server.Manifest.ModelId}\",status=\"OK\"}} [1-9]", text);
        Assert.Contains("splitnet_server_queue_duration_seconds_bucket{", text);
        Assert.Contains("splitnet_server_compute_duration_seconds_bucket{", text);
        Assert.Contains("splitnet_server_request_duration_seconds_count{", text);
        Assert.Contains("splitnet_server_batch_size_bucket{", text);
        Assert.Contains("splitnet_server_queue_pending", text);
        Assert.Contains("splitnet_server_received_bytes_total{", text);
        Assert.Matches(@"(?m)^splitnet_server_torch_live_tensors(\{[^}]*\})? \d+", text);
    }

    [Fact]
    public async Task Infer_OneFrame_IsOneSpanTaggedWithModelAndStatus()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "SplitNet.Server",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);

        await InferAsync().WithTimeout();

        var span = Assert.Single(spans, s => s.OperationName == "infer");
        Assert.Equal(server.Manifest.ModelId, span.GetTagItem("splitnet.model"));
        Assert.Equal(0, span.GetTagItem("rpc.grpc.status_code"));
    }

    [Fact]
    public async Task MetricsEndpoint_FramesForMadeUpModels_CountUnderOneLabelAndNameNone()
    {
        var names = Enumerable.Range(0, 40).Select(i => $"made-up-{Guid.NewGuid():N}").ToList();
        var head = LocalTeacher.Head(server.Teacher, server.Manifest, TeacherStage.Stage2, CodecId.RawFloat32);
        var features = head.Features(server.Sample.Image(0));
        foreach (var name in names)
        {
            var payload = FeatureCodec.Encode(CodecId.RawFloat32, name, head.Split.Id, head.FeatureShape, features);
            var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await server.Client.InferAsync(new InferRequest { Payload = ByteString.CopyFrom(payload) }).WithTimeout());
            Assert.Equal(Grpc.Core.StatusCode.NotFound, error.StatusCode);
        }
        using var http = new HttpClient();
        var text = await http.GetStringAsync($"http://127.0.0.1:{server.MetricsPort}/metrics").WithTimeout();

        Assert.DoesNotContain("made-up-", text);
        Assert.Matches("splitnet_server_requests_total{[^}]*model=\"_unknown\",status=\"NotFound\"} [1-9]", text);
    }
}
