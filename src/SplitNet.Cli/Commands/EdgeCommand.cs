using System.CommandLine;
using Grpc.Core;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using SplitNet.Codec;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Edge.RateControl;
using SplitNet.Edge.Resilience;
using SplitNet.Edge.Sources;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Models.Teacher;

namespace SplitNet.Cli.Commands;

/// <summary><c>splitnet edge</c>: the edge node against a running server.</summary>
internal static class EdgeCommand
{
    public static Command Create()
    {
        var servers = new Option<string[]>("--server")
        {
            Description = "Server URL, e.g. http://127.0.0.1:50051; repeat it for failover, in order of preference.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var apiKey = ApiKeyOption();
        var ca = new Option<string?>("--ca") { Description = "PEM CA certificate(s) https servers must chain to (instead of the system store)." };
        var clientCertificate = new Option<string?>("--client-cert") { Description = "PEM client certificate for mutual TLS (with --client-key)." };
        var clientKey = new Option<string?>("--client-key") { Description = "PEM private key of --client-cert." };
        var edge = new EdgeOptions();
        var command = new Command("edge", "Run the head on images, stream coded frames to servers (failover, retries, rate control, early exit); report accuracy, bytes and latency.")
        {
            servers, apiKey, ca, clientCertificate, clientKey,
        };
        edge.AddTo(command);
        command.Subcommands.Add(TextCommand());
        command.SetAction((result, cancellation) => RunCommandAsync(new EdgeCommandSettings(
            edge.Read(result), [.. result.GetValue(servers)!], result.GetValue(apiKey),
            new EdgeTlsFiles(result.GetValue(ca), result.GetValue(clientCertificate), result.GetValue(clientKey))), cancellation));
        return command;
    }

    private static Command TextCommand()
    {
        var servers = new Option<string[]>("--server")
        {
            Description = "Server URL; repeat it for failover, in order of preference.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var apiKey = ApiKeyOption();
        var command = new Command("text", "Tokenize sentences, run the text split model's first layers and bottleneck, and stream the coded latents to servers; report category, cosine to the unsplit model, bytes and latency.")
        {
            servers, apiKey,
        };
        var read = TextEdgeCommand.AddOptions(command);
        command.SetAction(async (result, cancellation) =>
        {
            var settings = read(result);
            var summary = await TextEdgeCommand.RunAsync(settings, open => new EdgeClient(new EdgeClientOptions
            {
                Endpoints = [.. result.GetValue(servers)!.Select(u => new Uri(u))],
                Window = settings.Window,
                FrameDeadline = TimeSpan.FromMilliseconds(settings.DeadlineMs),
                ApiKey = result.GetValue(apiKey),
            }, open), cancellation);
            return summary.Failed == 0 ? 0 : 1;
        });
        return command;
    }

    private static async Task<int> RunCommandAsync(EdgeCommandSettings settings, CancellationToken cancellation)
    {
        if ((settings.Tls.ClientCertificate is null) != (settings.Tls.ClientKey is null))
        {
            Console.Error.WriteLine("--client-cert and --client-key go together");
            return 2;
        }
        var report = await RunAsync(settings.Edge, settings.Servers, cancellation, settings.ApiKey, settings.Tls);
        return report.Failed == 0 ? 0 : 1;
    }

    /// <summary>Runs the edge against <paramref name="urls"/> and prints predictions and the summary.</summary>
    public static async Task<EdgeReport> RunAsync(EdgeSettings settings, IReadOnlyList<string> urls, CancellationToken cancellation, string? apiKey = null, EdgeTlsFiles? tls = null)
    {
        CommonOptions.UseThreads(settings.Threads);
        var (network, manifest) = TeacherBundle.Load(settings.Teacher);
        IFrameSource source;
        if (settings.Images is { } folder)
        {
            source = new ImageFolderSource(folder, manifest.Labels);
        }
        else
        {
            var images = CommonOptions.LoadTest(settings.Data);
            source = new DatasetSource(settings.Count > 0 ? images.Take(settings.Count) : images, settings.Data);
        }
        IFrameEncoder head;
        string description;
        RateController? control = null;
        if (settings.Entropic is null)
        {
            head = new EdgeHead(FeatureSplit.Head(network, manifest, FeatureSplit.Point(manifest.Architecture, settings.Split)), settings.Codec);
            description = $"split after {settings.Split}, codec {CodecName(settings.Codec)}";
        }
        else
        {
            var families = CommonOptions.EdgeFamilies(settings.Backend, settings.EdgeBundle);
            var model = SplitModel.Load(settings.EdgeBundle, BundleSide.Edge, families);
            var splitManifest = model.Manifest;
            int levels = model.Levels.Count;
            var rate = settings.Rate ?? (uint)splitManifest.DefaultLevel;
            var latent = new LatentEdgeHead(model, rate, EarlyExit.All(EarlyExitBundle.Load(settings.EdgeBundle, splitManifest), model.Latent));
            head = latent;
            var level = splitManifest.Levels[(int)rate];
            description = settings.Adaptive
                ? $"entropic student, adaptive rate over {levels} levels from level {rate}, {splitManifest.Stream} stream"
                : $"entropic student, rate level {rate} of {levels} (β={level.Beta}), {splitManifest.Stream} stream";
            description += families[0] is OnnxRuntime.OnnxRuntimeFamily ? ", edge part on ONNX Runtime" : ", edge part on TorchSharp";
            if (settings.SegmentWaitMs is { } wait)
            {
                description += model.IsEmbedded
                    ? $", sent in segments (answered {wait} ms after the base at the latest)"
                    : throw new InvalidDataException($"--segments: {settings.EdgeBundle} is not an embedded (variable-rate) model");
            }
            if (settings.Adaptive)
            {
                control = new RateController(latent.LevelBytes, (int)rate, new RateControlOptions
                {
                    FrameRate = settings.Fps ?? 30,
                    Deadline = TimeSpan.FromMilliseconds(settings.DeadlineMs),
                });
            }
        }
        var deadline = TimeSpan.FromMilliseconds(settings.DeadlineMs);
        using var metrics = new EdgeMetrics();
        // Exported over OTLP where a collector is named by the standard OpenTelemetry variables.
        using var exporter = string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"))
            ? null
            : OpenTelemetry.Sdk.CreateMeterProviderBuilder().AddMeter(EdgeMetrics.MeterName).AddOtlpExporter().Build();
        await using var client = new EdgeClient(new EdgeClientOptions
        {
            Endpoints = [.. urls.Select(u => new Uri(u))],
            Window = settings.Window,
            FrameDeadline = deadline,
            ApiKey = apiKey,
            ServerCaFile = tls?.Ca,
            ClientCertificate = tls is { ClientCertificate: { } certificate, ClientKey: { } key } ? (certificate, key) : null,
            SendSegments = settings.SegmentWaitMs is not null,
            SegmentWait = settings.SegmentWaitMs is { } segmentWait ? TimeSpan.FromMilliseconds(segmentWait) : null,
            RefinementMessages = settings.RefinementMessages,
        }, head.Open, metrics);
        int shown = 0;
        using var live = LiveSummary(metrics, settings.Json);
        var report = await EdgeRunner.RunAsync(head, client, source, new EdgeRunOptions
        {
            FrameRate = settings.Fps,
            Duration = settings.Seconds is { } s ? TimeSpan.FromSeconds(s) : null,
            EarlyExitThreshold = settings.Tau,
            RateControl = control,
            Deadline = deadline,
        }, metrics, outcome =>
        {
            if (!settings.Json && Interlocked.Increment(ref shown) <= settings.Show)
            {
                var a = outcome.Answer;
                var truth = outcome.Label >= 0 ? manifest.Labels[outcome.Label] : "?";
                Console.WriteLine(a.Succeeded
                    ? $"frame {outcome.Index,5}  {manifest.Labels[a.ClassId],-12} p={a.Confidence:F3}  truth {truth,-12} {outcome.PayloadBytes,6} B  {outcome.Latency.TotalMilliseconds,6:F1} ms  {a.Source}"
                    : $"frame {outcome.Index,5}  failed: {a.Failure}");
            }
        }, cancellation);
        double? reference = null;
        if (source is DatasetSource && settings.Seconds is null)
        {
            // The whole teacher, unsplit, on the same images: what the split is measured against.
            var images = CommonOptions.LoadTest(settings.Data);
            images = settings.Count > 0 ? images.Take(settings.Count) : images;
            reference = TeacherEvaluation.Accuracy(TeacherEvaluation.Predict(network, images), images.Labels);
        }
        Print(settings, head.ModelId, description, manifest, reference, report);
        return report;
    }

    /// <summary>Rewrites one status line on stderr every second while the run lasts (terminals only).</summary>
    private static Timer? LiveSummary(EdgeMetrics metrics, bool json) =>
        json || Console.IsErrorRedirected
            ? null
            : new Timer(_ => Console.Error.Write($"\r{metrics.Summary()}   "), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

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

    private static void Print(EdgeSettings settings, string modelId, string description, TeacherManifest manifest, double? reference, EdgeReport report)
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
                deadline_ms = settings.DeadlineMs,
                deadline_met = report.DeadlineMet,
                sources = report.Sources,
                levels = report.Levels,
                dropped_at_capture = report.DroppedAtCapture,
                retries = report.Retries,
                failovers = report.Failovers,
                duplicates = report.Duplicates,
                frames_per_second = report.FramesPerSecond,
                seconds = report.Seconds,
                timeline = report.Timeline,
            });
            return;
        }
        Console.Error.WriteLine();
        Console.WriteLine();
        Console.WriteLine($"model {modelId}: {description}, window {settings.Window}");
        Console.WriteLine($"frames          {report.Frames} ({report.Failed} failed, {report.DroppedAtCapture} dropped at capture); answered by {string.Join(", ", report.Sources.Select(p => $"{p.Key} {p.Value}"))}");
        Console.WriteLine($"accuracy        {report.Accuracy:P2}" + (reference is { } r ? $"  (whole teacher on the same images: {r:P2}" + (manifest.Training is { } t ? $"; on its {t.TestImages} test images: {t.TestAccuracy:P2})" : ")") : ""));
        Console.WriteLine($"bytes/frame     {report.BytesPerFrame:F0} payload, {report.MessageBytesPerFrame:F0} protobuf message");
        Console.WriteLine($"latency         p50 {report.LatencyMs.P50:F2} ms  p99 {report.LatencyMs.P99:F2} ms  max {report.LatencyMs.Max:F2} ms; {report.DeadlineMet:P1} within {settings.DeadlineMs} ms");
        Console.WriteLine($"resilience      {report.Retries} retries, {report.Failovers} failovers, {report.Duplicates} duplicate answers dropped");
        Console.WriteLine($"throughput      {report.FramesPerSecond:F0} frames/s over {report.Seconds:F1} s");
    }

    public static string CodecName(CodecId codec) => codec == CodecId.RawFloat32 ? "float32" : "affine8-lz4";
}

/// <summary>The options of <c>splitnet edge</c>: what the edge runs (shared with <c>demo</c>) and how it reaches the servers.</summary>
internal sealed record EdgeCommandSettings(EdgeSettings Edge, IReadOnlyList<string> Servers, string? ApiKey, EdgeTlsFiles Tls);

/// <summary>TLS files of <c>splitnet edge</c>.</summary>
internal sealed record EdgeTlsFiles(string? Ca, string? ClientCertificate, string? ClientKey);
