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
        var o = r.Overload;
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
        Line($"- Dynamic batching ≥ 2 × batch size 1 at {r.Streams} streams: {t.BatchingGain:F2} × ({r.Batched.Server.Throughput:F0} vs {r.Unbatched.Server.Throughput:F0} frames/s; p99 {r.Batched.Server.Latency.P99:F1} ms vs {r.Unbatched.Server.Latency.P99:F1} ms) — {Met(t.BatchingGainMet)}");
        Line($"- Overload at {o.OfferedPerSecond / o.CapacityPerSecond:F1} × capacity: queue peak {o.QueuePeak} of {o.QueueCapacity} — {Met(t.QueueBounded)}; rejections answered in p99 {t.RejectionP99Ms:F2} ms at the client ({t.ServerRejectionP99Ms:F3} ms in the server) — {Met(t.RejectionFastMet)}; accepted frames within their {o.DeadlineMicros / 1000} ms deadline (≥ 99 % asked) {t.AcceptedWithinDeadline:P2} at the client ({t.ServerAcceptedWithinDeadline:P2} by server time) — {Met(t.DeadlinesMet)}; working set over the second half of the run {o.WorkingSetMidMegabytes:F0} → {o.WorkingSetEndMegabytes:F0} MB (flat = within 5 %) — {Met(t.MemoryFlat)}");
        Line($"");
        Line($"| max batch | in-process frames/s | server frames/s | server / in-process | mean batch run | p50 ms | p99 ms | failed |");
        Line($"|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var b in r.Batches)
        {
            long failed = b.Server.Statuses.Where(s => s.Key != "OK").Sum(s => s.Value);
            Line($"| {b.MaxBatchSize} | {b.BareFramesPerSecond:F0} | {b.Server.Throughput:F0} | {b.ServerOverBare:F2} | {b.MeanBatch:F1} | {b.Server.Latency.P50:F1} | {b.Server.Latency.P99:F1} | {failed} |");
        }
        Line($"");
        Line($"Overload run: {o.OfferedPerSecond:F0} frames/s offered open-loop for {o.Load.Seconds:F0} s against a capacity of {o.CapacityPerSecond:F0} frames/s,");
        Line($"queue bound {o.QueueCapacity}, per-frame deadline {o.DeadlineMicros / 1000} ms.");
        Line($"");
        Line($"| outcome | frames | client p50 ms | client p99 ms | client max ms | server p50 ms | server p99 ms |");
        Line($"|---|---:|---:|---:|---:|---:|---:|");
        static string Ms(double? value) => value?.ToString("F2", CultureInfo.InvariantCulture) ?? "–";
        foreach (var (status, count) in o.Load.Statuses)
        {
            var (client, server) = status switch
            {
                "OK" => (o.Load.Latency, o.Load.ServerLatency),
                "ResourceExhausted" => (o.Load.RejectionLatency, o.Load.ServerRejectionLatency),
                _ => (null, null),
            };
            Line($"| {status} | {count} | {Ms(client?.P50)} | {Ms(client?.P99)} | {Ms(client?.Max)} | {Ms(server?.P50)} | {Ms(server?.P99)} |");
        }
        Line($"| unanswered at the end | {o.Load.Unanswered} | | | | | |");
        Line($"");
        Line($"Memory (whole process, server and harness): managed heap after a full collection {o.HeapStartMegabytes:F1} MB before, {o.HeapEndMegabytes:F1} MB after;");
        Line($"working set {o.WorkingSetStartMegabytes:F0} MB before, {o.WorkingSetMidMegabytes:F0} MB half-way, peak {o.WorkingSetPeakMegabytes:F0} MB, {o.WorkingSetEndMegabytes:F0} MB at the end.");
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
