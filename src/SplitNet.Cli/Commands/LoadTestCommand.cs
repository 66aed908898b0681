using System.CommandLine;
using Grpc.Net.Client;
using SplitNet.Edge;
using SplitNet.LoadTest;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Models.Data;

namespace SplitNet.Cli.Commands;

/// <summary><c>splitnet loadtest</c>: the harness against a running server.</summary>
internal static class LoadTestCommand
{
    public static Command Create()
    {
        var server = new Option<string>("--server") { Description = "Server URL, e.g. http://127.0.0.1:50051.", Required = true };
        var apiKey = EdgeCommand.ApiKeyOption();
        var model = new Option<string>("--model") { Description = "Split-model folder whose edge half codes the frames (default: the shipped one).", DefaultValueFactory = _ => CommonOptions.DefaultEntropic };
        var rate = new Option<uint?>("--rate") { Description = "Rate level (default: the model's default level)." };
        var streams = new Option<int>("--streams") { Description = "Concurrent streams (simulated edge devices).", DefaultValueFactory = _ => 32 };
        var window = new Option<int>("--window") { Description = "Unanswered frames per stream.", DefaultValueFactory = _ => 8 };
        var seconds = new Option<int>("--seconds") { Description = "Measured seconds (after 2 s of warm-up).", DefaultValueFactory = _ => 10 };
        var frameRate = new Option<double?>("--frames-per-second") { Description = "Open loop: total frames per second on schedule (default: closed loop, windows kept full)." };
        var timeout = new Option<int>("--timeout-ms") { Description = "Per-frame deadline on the server (0: none).", DefaultValueFactory = _ => 0 };
        var json = CommonOptions.Json();
        var command = new Command("loadtest", "Drive a server with many streams of pre-coded frames from the sample; report throughput, latency and statuses.")
        {
            server, apiKey, model, rate, streams, window, seconds, frameRate, timeout, json,
        };
        command.SetAction(async (result, cancellation) =>
        {
            using var edge = SplitModel.Load(SplitModelBundle.SideDirectory(result.GetValue(model)!, BundleSide.Edge), BundleSide.Edge);
            uint level = result.GetValue(rate) ?? (uint)edge.Manifest.DefaultLevel;
            var head = new LatentEdgeHead(edge, level);
            var sample = FashionMnist.Load(CommonOptions.SampleDirectory, DatasetSplit.Test);
            var frames = Enumerable.Range(0, sample.Count).Select(i => new LoadFrame(head.Encode(sample.Image(i)).Payload, level)).ToArray();
            double? offered = result.GetValue(frameRate);
            var profile = new LoadProfile(result.GetValue(streams), offered is null ? result.GetValue(window) : 1 << 16,
                TimeSpan.FromSeconds(result.GetValue(seconds)), TimeSpan.FromSeconds(2), offered, (uint)result.GetValue(timeout) * 1000);
            using var channel = GrpcChannel.ForAddress(result.GetValue(server)!);
            var progress = result.GetValue(json) || Console.IsErrorRedirected ? null : new Progress<double>(f => Console.Error.Write($"\r{f:P0}"));
            LoadResult load;
            try
            {
                load = await LoadGenerator.RunAsync(EdgeCommand.Client(channel, result.GetValue(apiKey)), head.Open, frames, profile, progress, cancellation);
            }
            catch (Grpc.Core.RpcException e)
            {
                return EdgeCommand.Refused(e);
            }
            if (result.GetValue(json))
            {
                JsonOutput.Write(load);
                return 0;
            }
            Console.Error.WriteLine();
            Console.WriteLine($"{load.Throughput:F0} frames/s OK over {load.Seconds:F0} s; {string.Join(", ", load.Statuses.Select(s => $"{s.Key} {s.Value}"))}; unanswered {load.Unanswered}");
            Console.WriteLine($"latency OK  p50 {load.Latency.P50:F2} ms  p99 {load.Latency.P99:F2} ms  (server p50 {load.ServerLatency.P50:F2} ms, p99 {load.ServerLatency.P99:F2} ms)");
            return 0;
        });
        return command;
    }
}
