using System.Globalization;
using System.Text;
using ScottPlot;

namespace SplitNet.LoadTest;

/// <summary>The server benchmark's report: its Markdown, JSON data and PNG (throughput and p99 against max batch size); the CLI writes them.</summary>
public static class ServerBenchReport
{
    /// <summary>The report's file name, without extension.</summary>
    public const string Name = "server";

    /// <summary>What <c>server.json</c> holds: the result and the targets read from it.</summary>
    public static object Data(ServerBenchResult result) => new { result, targets = ServerBenchTargets.Compute(result) };

    /// <summary>The Markdown with the targets, naming <paramref name="command"/> as what produced it.</summary>
    public static string Markdown(ServerBenchResult r, string command)
    {
        var t = ServerBenchTargets.Compute(r);
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        static string Met(bool met) => met ? "**met**" : "**not met**";
        Line($"# Server under load: {r.Model}, rate level {r.RateLevel} ({r.PayloadBytes:F1} B per frame)");
        Line($"");
        Line($"Produced by `{command}` on {r.Machine}. Harness and server share the machine; the in-process");
        Line($"figure has the machine to itself. {r.Streams} closed-loop streams with a window of {r.Window} frames each,");
        Line($"max queue delay {r.MaxQueueDelayMicroseconds} µs; frames are coded before the run, so the edge encoder is not measured.");
        Line($"");
        Line($"- Server ≥ 0.8 × in-process decode + tail at the same batch size: {t.ServerOverBare:F2} × at max batch {r.Batched.MaxBatchSize} — {Met(t.ServerOverBareMet)}");
        if (r.Unbatched is { } one)
        {
            Line($"- Dynamic batching ≥ 2 × batch size 1 at {r.Streams} streams: {t.BatchingGain:F2} × ({r.Batched.Server.Throughput:F0} vs {one.Server.Throughput:F0} frames/s; p99 {r.Batched.Server.Latency.P99:F1} ms vs {one.Server.Latency.P99:F1} ms) — {Met(t.BatchingGainMet == true)}");
        }
        if (r.Overloads.Count > 0)
        {
            var o = r.Overloads[0];
            Line($"- Overload at {o.OfferedPerSecond / o.CapacityPerSecond:F1} × capacity, {r.Overloads.Count} run(s) of {o.Load.Seconds:F0} s: in every run goodput ≥ 80 % of the closed-loop capacity measured just before it, accepted frames within their {o.DeadlineMicros / 1000} ms deadline ≥ 99 %, rejections answered in < 5 ms p99 at the client, the queue within its bound and the working set flat over the second half (within 5 %) — {Met(t.OverloadMet)}");
        }
        Line($"");
        Line($"| max batch | in-process frames/s | server frames/s | server / in-process | mean batch run | p50 ms | p99 ms | failed |");
        Line($"|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var b in r.Batches)
        {
            long failed = b.Server.Statuses.Where(s => s.Key != "OK").Sum(s => s.Value);
            Line($"| {b.MaxBatchSize} | {b.BareFramesPerSecond:F0} | {b.Server.Throughput:F0} | {b.ServerOverBare:F2} | {b.MeanBatch:F1} | {b.Server.Latency.P50:F1} | {b.Server.Latency.P99:F1} | {failed} |");
        }
        if (r.Overloads.Count == 0)
        {
            return text.ToString();
        }
        var first = r.Overloads[0];
        Line($"");
        Line($"Overload runs, one after another: before each, the closed-loop capacity at max batch {r.Batched.MaxBatchSize} ({r.Streams} streams × {r.Window}) on a fresh server;");
        Line($"then {first.OfferedPerSecond / first.CapacityPerSecond:F1} × that offered open-loop to another fresh server with a queue bound of {first.QueueCapacity} and a per-frame deadline of {first.DeadlineMicros / 1000} ms.");
        Line($"Goodput counts OK answers that reached the client within the deadline; the worst second is the lowest goodput of any whole second of the run.");
        Line($"");
        Line($"| run | capacity frames/s | offered frames/s | goodput frames/s | of capacity | worst second | OK | refused | deadline exceeded | accepted within deadline (client / server) | rejection p99 ms (client / server) | queue peak | working set MB (mid → end) | met |");
        Line($"|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        for (int i = 0; i < r.Overloads.Count; i++)
        {
            var (o, ot) = (r.Overloads[i], t.Overloads[i]);
            Line($"| {i + 1} | {o.CapacityPerSecond:F0} | {o.OfferedPerSecond:F0} | {o.Load.Goodput:F0} | {ot.GoodputShare:P1} | {ot.WorstSecondShare:P1} | {o.Load.Count("OK")} | {o.Load.Count("ResourceExhausted")} | {o.Load.Count("DeadlineExceeded")} | {ot.AcceptedWithinDeadline:P2} / {ot.ServerAcceptedWithinDeadline:P2} | {ot.RejectionP99Ms:F2} / {ot.ServerRejectionP99Ms:F3} | {o.QueuePeak} | {o.WorkingSetMidMegabytes:F0} → {o.WorkingSetEndMegabytes:F0} | {(ot.Met ? "yes" : "no")} |");
        }
        var other = r.Overloads.SelectMany(o => o.Load.Statuses).Where(p => p.Key is not ("OK" or "ResourceExhausted" or "DeadlineExceeded")).GroupBy(p => p.Key).ToArray();
        long unanswered = r.Overloads.Sum(o => o.Load.Unanswered);
        Line($"");
        Line($"Other outcomes over all runs: {(other.Length == 0 ? "none" : string.Join(", ", other.Select(g => $"{g.Key} {g.Sum(p => p.Value)}")))}; unanswered at the end: {unanswered}.");
        return text.ToString();
    }

    /// <summary>Throughput, in-process and under the harness, and p99 latency against max batch size.</summary>
    public static Plot Chart(ServerBenchResult r)
    {
        var plot = new Plot();
        double[] x = [.. r.Batches.Select(b => (double)b.MaxBatchSize)];
        var server = plot.Add.Scatter(x, [.. r.Batches.Select(b => b.Server.Throughput)]);
        server.LegendText = "server under the harness (frames/s)";
        var bare = plot.Add.Scatter(x, [.. r.Batches.Select(b => b.BareFramesPerSecond)]);
        bare.LegendText = "in-process decode + tail (frames/s)";
        var p99 = plot.Add.Scatter(x, [.. r.Batches.Select(b => b.Server.Latency.P99)]);
        p99.LegendText = "server p99 latency (ms, right axis)";
        p99.LinePattern = LinePattern.Dashed;
        p99.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Bottom.Label.Text = "max batch size";
        plot.Axes.Left.Label.Text = "frames per second";
        plot.Axes.Right.Label.Text = "p99 latency (ms)";
        plot.Title($"{r.Model} level {r.RateLevel}: {r.Streams} streams");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }
}
