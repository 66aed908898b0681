using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using ScottPlot;
using SplitNet.Codec;
using SplitNet.Contracts.Inference;
using SplitNet.Edge;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Split;
using SplitNet.Models.Teacher;
using SplitNet.Server;

using SplitNet.LoadTest;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet bench memory</c>.</summary>
internal sealed record MemoryBenchSettings(int Concurrency, int Rounds, string? Out, bool Json);

/// <summary>One kind of maximal request, sent <c>Concurrency</c> at a time for <c>Rounds</c> rounds.</summary>
internal sealed record MemoryRow(string Request, long RequestBytes, IReadOnlyDictionary<string, int> Statuses, double PeakGrowthMegabytes, double CpuMillisecondsPerRequest);

internal sealed record MemoryReport(int Concurrency, int Rounds, double BaselineMegabytes, double BoundMegabytes, string Bound, IReadOnlyList<MemoryRow> Rows)
{
    public bool Met => Rows.All(r => r.PeakGrowthMegabytes <= BoundMegabytes);
}

/// <summary>
/// <c>splitnet bench memory</c>: what concurrent maximal Open Inference requests cost the server
/// in resident memory and CPU, against the bound its limits promise.
/// </summary>
internal static class MemoryBenchCommand
{
    public static Command Create()
    {
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once.", DefaultValueFactory = _ => 16 }
            .Require(n => n > 0, "at least one request at a time.");
        var rounds = new Option<int>("--rounds") { Description = "Rounds of that many requests per kind.", DefaultValueFactory = _ => 10 }
            .Require(n => n > 0, "at least one round.");
        var output = CommonOptions.ReportOut();
        var json = CommonOptions.Json();
        var command = new Command("memory", "Resident memory and CPU of concurrent maximal Open Inference requests against the server's documented bound.")
        {
            concurrency, rounds, output, json,
        };
        command.SetAction((result, cancellation) => ReportAsync(new MemoryBenchSettings(
            result.GetValue(concurrency), result.GetValue(rounds), result.GetValue(output), result.GetValue(json)), cancellation));
        return command;
    }

    private static async Task<int> ReportAsync(MemoryBenchSettings settings, CancellationToken cancellation)
    {
        var report = await RunAsync(settings, cancellation);
        ReportOutput.Emit("memory", settings.Out, settings.Json, Markdown(report), report, Chart(report));
        return 0;
    }

    private static async Task<MemoryReport> RunAsync(MemoryBenchSettings s, CancellationToken cancellation)
    {
        var requests = Requests();
        var defaults = new SplitNetServerOptions();
        using var server = await ServeProcess.StartAsync(CommonOptions.Splitnet, ServeProcess.FreePort(), [], cancellation);
        using var channel = GrpcChannel.ForAddress(server.Url, new GrpcChannelOptions { MaxReceiveMessageSize = null });
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        using var process = Process.GetProcessById(server.ProcessId);
        // One round of every kind first: the JIT, gRPC's buffers and the thread pool grow once.
        foreach (var (_, request) in requests)
        {
            await SendRoundAsync(client, request, s.Concurrency);
        }
        double baseline = Resident(server.ProcessId, "VmRSS");
        var rows = new List<MemoryRow>();
        foreach (var (name, request) in requests)
        {
            Console.Error.WriteLine($"{name}: {s.Rounds} rounds of {s.Concurrency} at once …");
            rows.Add(await MeasureAsync(client, name, request, s, process, baseline));
        }
        long bound = defaults.MaxDecodedBytesInFlight + 4L * s.Concurrency * defaults.MaxReceiveMessageBytes;
        return new MemoryReport(s.Concurrency, s.Rounds, baseline, bound / 1e6,
            $"MaxDecodedBytesInFlight + 4 × {s.Concurrency} × MaxReceiveMessageBytes (each message held as received, parsed, split and answered)", rows);
    }

    /// <summary>A field of <c>/proc/PID/status</c> in MB: VmRSS (resident now) or VmHWM (the peak since it was last reset).</summary>
    private static double Resident(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024 / 1e6;
    }

    private static async Task<MemoryRow> MeasureAsync(GRPCInferenceService.GRPCInferenceServiceClient client, string name, ModelInferRequest request,
        MemoryBenchSettings s, Process process, double baseline)
    {
        // Writing 5 to clear_refs resets the kernel's peak resident size (VmHWM) to the current one.
        File.WriteAllText($"/proc/{process.Id}/clear_refs", "5");
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var statuses = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (int round = 0; round < s.Rounds; round++)
        {
            foreach (var status in await SendRoundAsync(client, request, s.Concurrency))
            {
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
            }
        }
        process.Refresh();
        double cpuMs = (process.TotalProcessorTime - cpu).TotalMilliseconds / (s.Rounds * s.Concurrency);
        double peak = Resident(process.Id, "VmHWM");
        Console.Error.WriteLine($"{name}: peak {peak - baseline:F1} MB above the baseline; {string.Join(", ", statuses.Select(p => $"{p.Key} {p.Value}"))}");
        return new MemoryRow(name, request.CalculateSize(), statuses, peak - baseline, cpuMs);
    }

    private static async Task<string[]> SendRoundAsync(GRPCInferenceService.GRPCInferenceServiceClient client, ModelInferRequest request, int concurrency) =>
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            try
            {
                await client.ModelInferAsync(request);
                return nameof(StatusCode.OK);
            }
            catch (RpcException e)
            {
                return e.StatusCode.ToString();
            }
        }));

    /// <summary>The largest requests of each shape the default limits let through, and the probe's 200,000 empty elements.</summary>
    private static IReadOnlyList<(string Name, ModelInferRequest Request)> Requests()
    {
        var defaults = new SplitNetServerOptions();
        var sample = FashionMnist.Load(CommonOptions.SampleDirectory, DatasetSplit.Test);
        using var edge = SplitModel.Load(SplitModelBundle.SideDirectory(CommonOptions.DefaultEntropic, BundleSide.Edge), BundleSide.Edge, TorchFamilies.All);
        var head = new LatentEdgeHead(edge);
        var latents = Enumerable.Range(0, defaults.MaxFramesPerRequest).Select(i => head.Encode(sample.Image(i)).Payload).ToArray();
        var (teacher, manifest) = TeacherBundle.Load(CommonOptions.DefaultTeacher);
        using var _ = teacher;
        var stem = new EdgeHead(FeatureSplit.Head(teacher, manifest, FeatureSplit.Points(manifest.Architecture!)[(int)TeacherStage.Stem]), CodecId.RawFloat32);
        var feature = stem.Encode(sample.Image(0));
        int fit = (defaults.MaxReceiveMessageBytes - 1024) / (feature.Length + 4);
        string model = edge.Manifest.ModelId;
        return
        [
            ("200,000 empty latent elements", Request(model, "latent", Enumerable.Repeat(Array.Empty<byte>(), 200_000).ToArray(), head.RateLevel)),
            ($"{latents.Length} latent frames (the frame limit)", Request(model, "latent", latents, head.RateLevel)),
            ($"{fit} float32 stem features (as many as fit the message limit)", Request(manifest.ModelId, "features", Enumerable.Repeat(feature, fit).ToArray(), null)),
            ("one payload of the whole message limit", Request(manifest.ModelId, "features", [new byte[defaults.MaxReceiveMessageBytes - 1024]], null)),
        ];
    }

    private static ModelInferRequest Request(string model, string input, byte[][] frames, uint? rateLevel)
    {
        var raw = new byte[frames.Sum(f => 4L + f.Length)];
        int at = 0;
        foreach (var frame in frames)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(raw.AsSpan(at), frame.Length);
            frame.CopyTo(raw, at + 4);
            at += 4 + frame.Length;
        }
        var request = new ModelInferRequest
        {
            ModelName = model,
            Inputs = { new ModelInferRequest.Types.InferInputTensor { Name = input, Datatype = "BYTES", Shape = { frames.Length, 1 } } },
            RawInputContents = { ByteString.CopyFrom(raw) },
        };
        if (rateLevel is { } level)
        {
            request.Parameters["rate_level"] = new InferParameter { Int64Param = level };
        }
        return request;
    }

    private static string Markdown(MemoryReport r)
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        Line($"# Memory under concurrent maximal requests");
        Line($"");
        Line($"`{ReportOutput.CommandLine}`: {r.Concurrency} Open Inference requests at once, {r.Rounds} rounds per kind, against `splitnet serve` with the default limits");
        Line($"in a process of its own. Its resident set after a first round of every kind: {r.BaselineMegabytes:F0} MB; the peak per kind is the kernel's (VmHWM, reset before each kind).");
        Line($"Bound: {r.Bound} = {r.BoundMegabytes:F0} MB above it — {(r.Met ? "**met**" : "**not met**")} by every kind.");
        Line($"");
        Line($"| request | bytes | answers | peak resident set above the baseline | server CPU per request |");
        Line($"|---|---:|---|---:|---:|");
        foreach (var row in r.Rows)
        {
            Line($"| {row.Request} | {row.RequestBytes:N0} | {string.Join(", ", row.Statuses.Select(p => $"{p.Key} {p.Value}"))} | {row.PeakGrowthMegabytes:F1} MB | {row.CpuMillisecondsPerRequest:F2} ms |");
        }
        return text.ToString();
    }

    private static Plot Chart(MemoryReport r)
    {
        var plot = new Plot();
        var bars = plot.Add.Bars(r.Rows.Select(row => row.PeakGrowthMegabytes).ToArray());
        bars.Color = Colors.SteelBlue;
        var bound = plot.Add.HorizontalLine(r.BoundMegabytes);
        bound.LegendText = $"documented bound ({r.BoundMegabytes:F0} MB)";
        bound.LinePattern = LinePattern.Dashed;
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, r.Rows.Count).Select(i => (double)i)], [.. r.Rows.Select(row => row.Request.Split(" (")[0])]);
        plot.Axes.Left.Label.Text = "peak resident set above the baseline (MB)";
        plot.Axes.Margins(bottom: 0);
        plot.Title($"{r.Concurrency} concurrent maximal requests");
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }
}
