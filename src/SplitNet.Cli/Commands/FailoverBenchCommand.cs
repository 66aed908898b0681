using System.CommandLine;
using System.Globalization;
using System.Text;
using SplitNet.Edge;
using SplitNet.Edge.Resilience;
using SplitNet.Edge.Sources;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Models.Data;

using SplitNet.LoadTest;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet bench failover</c>.</summary>
internal sealed record FailoverSettings(double Fps, double Seconds, int DeadlineMs, string? Out, bool Json);

/// <summary>
/// <c>splitnet bench failover</c>: an edge camera streams to the first of two <c>splitnet serve</c>
/// processes; half-way the first is killed (SIGKILL). Reports frames lost or duplicated and how
/// long the edge took to be back at full rate on the second.
/// </summary>
internal static class FailoverBenchCommand
{
    public static Command Create()
    {
        var fps = new Option<double>("--fps") { Description = "Frames per second of the edge camera.", DefaultValueFactory = _ => 30 };
        var seconds = CommonOptions.Seconds(12);
        var deadline = CommonOptions.DeadlineMs(2000);
        var output = CommonOptions.ReportOut();
        var json = CommonOptions.Json();
        var command = new Command("failover", "Kill one of two server processes mid-run; count lost and duplicated frames and the gap before the edge is back at full rate.")
        {
            fps, seconds, deadline, output, json,
        };
        command.SetAction((result, cancellation) => ReportAsync(new FailoverSettings(
            result.GetValue(fps), result.GetValue(seconds), result.GetValue(deadline), result.GetValue(output), result.GetValue(json)), cancellation));
        return command;
    }

    private static async Task<int> ReportAsync(FailoverSettings settings, CancellationToken cancellation)
    {
        var report = await RunAsync(settings.Fps, settings.Seconds, settings.DeadlineMs, cancellation);
        ReportOutput.Emit("failover", settings.Out, settings.Json, Markdown(report, ReportOutput.CommandLine), report);
        return report.Lost == 0 && report.DuplicateOutcomes == 0 ? 0 : 1;
    }

    internal sealed record FailoverReport(
        double Fps, double Seconds, int Frames, int Lost, int DuplicateOutcomes, long DuplicateAnswersDropped, long Retries, long Failovers,
        double KilledAtSeconds, double LongestGapMs, double RecoveryMs, double MaxLatencyAroundKillMs, int AnsweredByFirst, int AnsweredBySecond,
        IReadOnlyList<int> AnswersPer100Ms);

    private static async Task<FailoverReport> RunAsync(double fps, double seconds, int deadlineMs, CancellationToken cancellation)
    {
        var edgeDirectory = SplitModelBundle.SideDirectory(CommonOptions.DefaultEntropic, BundleSide.Edge);
        using var model = SplitModel.Load(edgeDirectory, BundleSide.Edge, TorchFamilies.All);
        var head = new LatentEdgeHead(model, (uint)model.Manifest.DefaultLevel);
        var source = new DatasetSource(FashionMnist.Load(CommonOptions.SampleDirectory, DatasetSplit.Test), "sample");
        Console.Error.WriteLine("starting two splitnet serve processes …");
        using var first = await ServeProcess.StartAsync(CommonOptions.Splitnet, ServeProcess.FreePort(), [], cancellation);
        using var second = await ServeProcess.StartAsync(CommonOptions.Splitnet, ServeProcess.FreePort(), [], cancellation);
        await using var client = new EdgeClient(new EdgeClientOptions
        {
            Endpoints = [new Uri(first.Url), new Uri(second.Url)],
            FrameDeadline = TimeSpan.FromMilliseconds(deadlineMs),
        }, head.Open);
        var outcomes = new List<(FrameOutcome Outcome, double AnsweredAt)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double killedAt = seconds / 2;
        var killer = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(killedAt), cancellation);
            killedAt = clock.Elapsed.TotalSeconds;
            first.Kill();
            Console.Error.WriteLine($"killed the first server at {killedAt:F2} s");
        }, cancellation);
        Console.Error.WriteLine($"edge camera at {fps} frames/s for {seconds} s against both …");
        await EdgeRunner.RunAsync(head, client, source, new EdgeRunOptions
        {
            FrameRate = fps,
            Duration = TimeSpan.FromSeconds(seconds),
            Deadline = TimeSpan.FromMilliseconds(deadlineMs),
        }, onFrame: o =>
        {
            lock (outcomes)
            {
                outcomes.Add((o, clock.Elapsed.TotalSeconds));
            }
        }, cancellation: cancellation);
        await killer;

        var ids = outcomes.Select(o => o.Outcome.Index).ToList();
        int duplicates = ids.Count - ids.Distinct().Count();
        int lost = outcomes.Count(o => !o.Outcome.Answer.Succeeded);
        var answered = outcomes.Where(o => o.Outcome.Answer.Succeeded).Select(o => o.AnsweredAt).Order().ToList();
        double longestGap = answered.Zip(answered.Skip(1), (a, b) => b - a).Where((_, i) => answered[i] > killedAt - 1 && answered[i] < killedAt + 3).DefaultIfEmpty(0).Max();
        // Back on a server: the first answer from the second one after the kill. From then on frames
        // flow at the camera's rate again (the window never filled: the second server was warm).
        var second0 = new Uri(second.Url);
        double recovery = outcomes.Where(o => o.Outcome.Answer.Endpoint == second0 && o.AnsweredAt > killedAt)
            .Select(o => o.AnsweredAt - killedAt).DefaultIfEmpty(double.NaN).Min();
        var around = outcomes.Where(o => o.Outcome.Captured > killedAt - 0.5 && o.Outcome.Captured < killedAt + 1).ToList();
        int bins = (int)Math.Ceiling(seconds * 10) + 20;
        var per100 = new int[bins];
        foreach (var a in answered)
        {
            per100[Math.Min(bins - 1, (int)(a * 10))]++;
        }
        return new FailoverReport(fps, seconds, outcomes.Count, lost, duplicates, client.Duplicates, client.Retries, client.Failovers,
            killedAt, longestGap * 1000, recovery * 1000, around.Count == 0 ? 0 : around.Max(o => o.Outcome.Latency.TotalMilliseconds),
            outcomes.Count(o => o.Outcome.Answer.Endpoint == new Uri(first.Url)), outcomes.Count(o => o.Outcome.Answer.Endpoint == new Uri(second.Url)),
            per100);
    }

    private static string Markdown(FailoverReport r, string command)
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        Line($"# Failover: one of two server processes killed mid-run");
        Line($"");
        Line($"Produced by `{command}`. An edge camera ({r.Fps} frames/s, shipped split model at its default level, frames coded from the");
        Line($"shipped sample) streams to the first of two `splitnet serve` processes on loopback; at {r.KilledAtSeconds:F2} s the first is");
        Line($"killed with SIGKILL. The edge fails over to the second and re-sends every frame the first had not answered.");
        Line($"");
        Line($"- Frames lost: **{r.Lost}** of {r.Frames}; frames answered twice: **{r.DuplicateOutcomes}** (duplicate answers dropped on the wire: {r.DuplicateAnswersDropped}) — target 0 and 0: **{(r.Lost == 0 && r.DuplicateOutcomes == 0 ? "met" : "not met")}**");
        Line($"- First answer from the second server **{r.RecoveryMs:F0} ms** after the kill, the longest gap between two answers **{r.LongestGapMs:F0} ms** — back at full rate within 1 s: **{(Math.Max(r.RecoveryMs, r.LongestGapMs) <= 1000 ? "met" : "not met")}**");
        Line($"- Worst latency of a frame captured around the kill (re-sent ones included): {r.MaxLatencyAroundKillMs:F0} ms");
        Line($"- Answers per 100 ms over the run are in `failover.json` (`answers_per100_ms`).");
        Line($"- Answered by the first server {r.AnsweredByFirst}, by the second {r.AnsweredBySecond}; {r.Retries} re-sends, {r.Failovers} failover(s)");
        return text.ToString();
    }
}
