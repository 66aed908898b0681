using System.CommandLine;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Evaluation;
using SplitNet.LoadTest;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet bench bad-clients</c>.</summary>
internal sealed record BadClientsBenchSettings(double Seconds, double Rate, int Streams, int BadClients, string? Out, bool Json);

/// <summary>
/// <c>splitnet bench bad-clients</c>: healthy edges (open loop, with the API key) on one
/// <c>splitnet serve</c> process while bad clients send corrupt latents, wrong keys and streams they
/// abandon mid-frame; the healthy clients must see no error and lose no frame.
/// </summary>
internal static class BadClientsBenchCommand
{
    private const string Key = "healthy-edge-key";

    public static Command Create()
    {
        var seconds = CommonOptions.Seconds(20);
        var rate = new Option<double>("--frames-per-second") { Description = "Healthy clients' total open-loop rate (Poisson).", DefaultValueFactory = _ => 1000 };
        var streams = new Option<int>("--streams") { Description = "Healthy streams.", DefaultValueFactory = _ => 16 };
        var bad = new Option<int>("--bad-clients") { Description = "Bad clients of each kind.", DefaultValueFactory = _ => 4 };
        var output = new Option<string?>("--out") { Description = "Folder for bad-clients.md and .json." };
        var json = CommonOptions.Json();
        var command = new Command("bad-clients", "Healthy edges and, at the same time on the same server, clients sending corrupt latents, wrong API keys and abandoned streams: the healthy ones' errors and losses, and what each bad one got.")
        {
            seconds, rate, streams, bad, output, json,
        };
        command.SetAction((result, cancellation) => RunAsync(new BadClientsBenchSettings(result.GetValue(seconds), result.GetValue(rate), result.GetValue(streams),
            result.GetValue(bad), result.GetValue(output), result.GetValue(json)), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(BadClientsBenchSettings settings, CancellationToken cancellation)
    {
        var (server, open, frames) = ShippedLoad.Create();
        using var replica = await ServeProcess.StartAsync(CommonOptions.Splitnet, ServeProcess.FreePort(), ["--model", server, $"--SplitNet:Server:ApiKeys:0={Key}"], cancellation);
        using var channel = GrpcChannel.ForAddress(replica.Url);
        var good = EdgeCommand.Client(channel, Key);
        var wrong = EdgeCommand.Client(channel, "not-the-key");
        var bad = new ConcurrentDictionary<string, long>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(settings.Seconds + 2));
        var badClients = Enumerable.Range(0, settings.BadClients).SelectMany(i => new[]
        {
            Task.Run(() => CorruptAsync(good, open, frames, i, bad, stop.Token)),
            Task.Run(() => WrongKeyAsync(wrong, frames, bad, stop.Token)),
            Task.Run(() => AbandonAsync(good, open, frames, bad, stop.Token)),
        }).ToArray();
        var healthy = await LoadGenerator.RunAsync(good, open, frames,
            new LoadProfile(settings.Streams, 1 << 12, TimeSpan.FromSeconds(settings.Seconds), TimeSpan.FromSeconds(2), settings.Rate, 0, Arrivals.Poisson), cancellation: cancellation);
        await Task.WhenAll(badClients);
        Report(settings, healthy, bad);
        long errors = healthy.Statuses.Where(s => s.Key != nameof(StatusCode.OK)).Sum(s => s.Value);
        return errors == 0 && healthy.Unanswered == 0 ? 0 : 1;
    }

    /// <summary>Latent streams with the right key whose every frame has one byte flipped.</summary>
    private static async Task CorruptAsync(SplitInference.SplitInferenceClient client, StreamOpen? open, LoadFrame[] frames, int seed, ConcurrentDictionary<string, long> outcomes, CancellationToken stop)
    {
        var random = new Random(seed);
        try
        {
            await using var session = new StreamingSession(client, 8, open, stop);
            for (ulong id = 0; !stop.IsCancellationRequested; id++)
            {
                var payload = frames[random.Next(frames.Length)].Payload.ToArray();
                payload[random.Next(payload.Length)] ^= (byte)(1 << random.Next(8));
                var answer = await (await session.SendAsync(id, payload, cancellation: stop));
                outcomes.AddOrUpdate($"corrupt latent: {(answer.Error is null ? "answered (the flip still decoded)" : ((StatusCode)answer.Error.Code).ToString())}", 1, (_, n) => n + 1);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException)
        {
        }
    }

    /// <summary>Unary calls with a wrong API key.</summary>
    private static async Task WrongKeyAsync(SplitInference.SplitInferenceClient client, LoadFrame[] frames, ConcurrentDictionary<string, long> outcomes, CancellationToken stop)
    {
        for (int i = 0; !stop.IsCancellationRequested; i++)
        {
            try
            {
                await client.InferAsync(new InferRequest { FrameId = (ulong)i, Payload = ByteString.CopyFrom(frames[i % frames.Length].Payload) }, cancellationToken: stop);
                outcomes.AddOrUpdate("wrong key: answered", 1, (_, n) => n + 1);
            }
            catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
            {
                outcomes.AddOrUpdate($"wrong key: {e.StatusCode}", 1, (_, n) => n + 1);
            }
            catch (Exception e) when (e is OperationCanceledException or RpcException)
            {
                return;
            }
            await Task.Delay(5, CancellationToken.None);
        }
    }

    /// <summary>Streams opened with the right key, fed a few frames, then dropped without completing or reading.</summary>
    private static async Task AbandonAsync(SplitInference.SplitInferenceClient client, StreamOpen? open, LoadFrame[] frames, ConcurrentDictionary<string, long> outcomes, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var call = client.InferStream(cancellationToken: CancellationToken.None);
                await call.RequestStream.WriteAsync(new InferRequest { Open = open }, stop);
                for (int i = 0; i < 5; i++)
                {
                    await call.RequestStream.WriteAsync(new InferRequest { FrameId = (ulong)i, Payload = ByteString.CopyFrom(frames[i].Payload) }, stop);
                }
                outcomes.AddOrUpdate("abandoned streams", 1, (_, n) => n + 1);
            }
            catch (Exception e) when (e is OperationCanceledException or RpcException)
            {
                return;
            }
            await Task.Delay(20, CancellationToken.None);
        }
    }

    private static void Report(BadClientsBenchSettings settings, LoadResult healthy, ConcurrentDictionary<string, long> bad)
    {
        long errors = healthy.Statuses.Where(s => s.Key != nameof(StatusCode.OK)).Sum(s => s.Value);
        var data = new
        {
            seconds = settings.Seconds,
            healthy_frames_per_second = settings.Rate,
            healthy = new { sent = healthy.Sent, statuses = healthy.Statuses, unanswered = healthy.Unanswered, error_rate = (double)errors / Math.Max(1, healthy.Sent), latency_ms = healthy.Latency },
            bad = bad.OrderBy(b => b.Key, StringComparer.Ordinal).ToDictionary(b => b.Key, b => b.Value),
            target_met = errors == 0 && healthy.Unanswered == 0,
        };
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("# Bad clients among healthy ones").AppendLine();
        md.AppendLine(c, $"`splitnet bench bad-clients --seconds {settings.Seconds} --frames-per-second {settings.Rate} --streams {settings.Streams} --bad-clients {settings.BadClients}`: one `splitnet serve` process with an API key; healthy edges send {settings.Rate:F0} frames/s (Poisson, {settings.Streams} streams, the key) while, on the same server, {settings.BadClients} clients of each kind send latents with a flipped bit, call with a wrong key, and open streams they abandon after five frames.").AppendLine();
        md.AppendLine(c, $"- Healthy: {healthy.Sent} frames sent, statuses {string.Join(", ", healthy.Statuses.Select(s => $"{s.Key} {s.Value}"))}, unanswered {healthy.Unanswered}, error rate {data.healthy.error_rate:P3}; latency p50 {healthy.Latency.P50:F2} ms, p99 {healthy.Latency.P99:F2} ms. Target (error rate 0, nothing lost): **{(data.target_met ? "met" : "not met")}**.");
        md.AppendLine().AppendLine("| bad client: outcome | count |").AppendLine("|---|---:|");
        foreach (var (outcome, count) in data.bad)
        {
            md.AppendLine(c, $"| {outcome} | {count} |");
        }
        foreach (var path in ReportWriter.Write("bad-clients", settings.Out, md.ToString(), data))
        {
            Console.Error.WriteLine($"wrote {path}");
        }
        Console.WriteLine(settings.Json ? ReportWriter.Json(data).ReplaceLineEndings(" ") : md.ToString());
    }
}
