using System.CommandLine;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using SplitNet.Codec;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Models.Bundles;
using SplitNet.Models.Teacher;
using SplitNet.Models.Training;

namespace SplitNet.Cli.Commands;

/// <summary><c>splitnet edge</c>: the edge node against a running server.</summary>
internal static class EdgeCommand
{
    public static Command Create()
    {
        var server = new Option<string>("--server") { Description = "Server URL, e.g. http://127.0.0.1:50051.", Required = true };
        var apiKey = ApiKeyOption();
        var edge = new EdgeOptions();
        var command = new Command("edge", "Run the head on dataset images, stream coded features to a server, report accuracy, bytes and latency.")
        {
            server, apiKey,
        };
        edge.AddTo(command);
        command.SetAction(async (result, cancellation) =>
        {
            var settings = edge.Read(result);
            try
            {
                var report = await RunAsync(settings, result.GetValue(server)!, cancellation, result.GetValue(apiKey));
                return report.Failed == 0 ? 0 : 1;
            }
            catch (RpcException e)
            {
                return Refused(e);
            }
        });
        return command;
    }

    /// <summary>Runs the edge against <paramref name="url"/> and prints predictions and the summary.</summary>
    public static async Task<EdgeReport> RunAsync(EdgeSettings settings, string url, CancellationToken cancellation, string? apiKey = null)
    {
        TorchSharp.torch.set_num_threads(settings.Threads);
        var images = CommonOptions.LoadTest(settings.Data);
        if (settings.Count > 0)
        {
            images = images.Take(settings.Count);
        }
        var (network, manifest) = TeacherBundle.Load(settings.Teacher);
        IFrameEncoder head;
        string description;
        if (settings.Entropic is null)
        {
            head = new EdgeHead(network, manifest, settings.Split, settings.Codec);
            description = $"split after {settings.Split.ToString().ToLowerInvariant()}, codec {CodecName(settings.Codec)}";
        }
        else
        {
            var (splitManifest, levels) = SplitModelBundle.Load(settings.EdgeBundle, BundleSide.Edge);
            var rate = settings.Rate ?? (uint)splitManifest.DefaultLevel;
            head = new LatentEdgeHead(splitManifest, levels, rate);
            var level = splitManifest.Levels[(int)rate];
            description = $"entropic student, rate level {rate} of {levels.Length} (β={level.Beta}), {splitManifest.Stream} stream";
        }
        using var channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions { MaxReceiveMessageSize = 1 << 20 });
        var client = Client(channel, apiKey);
        int shown = 0;
        var report = await EdgeRunner.RunAsync(head, client, images, new EdgeRunOptions { Window = settings.Window }, outcome =>
        {
            if (!settings.Json && Interlocked.Increment(ref shown) <= settings.Show)
            {
                var r = outcome.Result;
                Console.WriteLine(r.Succeeded
                    ? $"frame {outcome.Index,5}  {r.Response.Predictions[0].Label,-12} p={r.Response.Predictions[0].Probability:F3}  truth {manifest.Labels[outcome.Label],-12} {outcome.PayloadBytes,6} B  {outcome.Latency.TotalMilliseconds,6:F1} ms"
                    : $"frame {outcome.Index,5}  failed: {r.Response.Error?.Message}");
            }
        }, cancellation);
        // The whole teacher, unsplit, on the same images: what the split is measured against.
        var reference = TeacherEvaluation.Accuracy(TeacherEvaluation.Predict(network, images), images.Labels);
        Print(settings, head.ModelId, description, manifest, reference, report);
        return report;
    }

    /// <summary>Reports a call the server ended (bad key, unreachable, shut down) and returns the exit code.</summary>
    public static int Refused(RpcException e)
    {
        Console.Error.WriteLine($"the server ended the call: {e.StatusCode}: {e.Status.Detail}");
        return 2;
    }

    /// <summary><c>--api-key</c>: sent as <c>authorization: Bearer &lt;key&gt;</c> on every call.</summary>
    public static Option<string?> ApiKeyOption() => new("--api-key") { Description = "API key for a server that requires one (sent as a Bearer token)." };

    /// <summary>A client on <paramref name="channel"/> that sends the API key, if any, with every call.</summary>
    public static SplitInference.SplitInferenceClient Client(GrpcChannel channel, string? apiKey) =>
        apiKey is null
            ? new SplitInference.SplitInferenceClient(channel)
            : new SplitInference.SplitInferenceClient(channel.Intercept(headers =>
            {
                headers.Add("authorization", $"Bearer {apiKey}");
                return headers;
            }));

    private static void Print(EdgeSettings settings, string modelId, string description, TeacherManifest manifest, double reference, EdgeReport report)
    {
        if (settings.Json)
        {
            JsonOutput.Write(new
            {
                model = modelId,
                mode = description,
                frames = report.Frames,
                failed = report.Failed,
                accuracy = report.Accuracy,
                teacher_accuracy_same_images = reference,
                teacher_test_set_accuracy = manifest.Training?.TestAccuracy,
                bytes_per_frame = report.BytesPerFrame,
                message_bytes_per_frame = report.MessageBytesPerFrame,
                latency_ms = new { p50 = report.LatencyMs.P50, p90 = report.LatencyMs.P90, p99 = report.LatencyMs.P99, max = report.LatencyMs.Max, mean = report.LatencyMs.Mean },
                frames_per_second = report.FramesPerSecond,
                seconds = report.Seconds,
            });
            return;
        }
        Console.WriteLine();
        Console.WriteLine($"model {modelId}: {description}, window {settings.Window}");
        Console.WriteLine($"frames          {report.Frames} ({report.Failed} failed)");
        Console.WriteLine($"accuracy        {report.Accuracy:P2}  (whole teacher on the same images: {reference:P2}" + (manifest.Training is { } t ? $"; on its {t.TestImages} test images: {t.TestAccuracy:P2})" : ")"));
        Console.WriteLine($"bytes/frame     {report.BytesPerFrame:F0} payload, {report.MessageBytesPerFrame:F0} protobuf message");
        Console.WriteLine($"latency         p50 {report.LatencyMs.P50:F2} ms  p99 {report.LatencyMs.P99:F2} ms  max {report.LatencyMs.Max:F2} ms");
        Console.WriteLine($"throughput      {report.FramesPerSecond:F0} frames/s over {report.Seconds:F1} s");
    }

    public static string CodecName(CodecId codec) => codec == CodecId.RawFloat32 ? "float32" : "affine8-lz4";
}
