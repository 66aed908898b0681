using System.CommandLine;
using System.Globalization;
using System.Text;
using SplitNet.Evaluation;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet bench batching</c>.</summary>
internal sealed record BatchingBenchSettings(BatchingBenchmarkOptions Options, int Threads, string? Out, bool Json);

/// <summary><c>splitnet bench batching</c>: how to batch variable-length latents, measured.</summary>
internal static class BatchingBenchCommand
{
    public static Command Create()
    {
        var defaults = new BatchingBenchmarkOptions();
        var frames = new Option<int>("--frames") { Description = "Sentences in the stream.", DefaultValueFactory = _ => defaults.Frames };
        var batch = new Option<int>("--batch-size") { Description = "Frames per full batch.", DefaultValueFactory = _ => defaults.BatchSize };
        var runs = new Option<int>("--runs") { Description = "Timed passes of each policy, interleaved.", DefaultValueFactory = _ => defaults.Runs };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => defaults.Seed };
        var threads = CommonOptions.Threads();
        threads.DefaultValueFactory = _ => 1;
        var output = CommonOptions.ReportOut();
        var json = CommonOptions.Json();
        var command = new Command("batching", "Pad to the maximum, to the longest frame, power-of-two buckets or exact-length buckets: throughput, padding and waiting on a transformer-shaped server part.")
        {
            frames, batch, runs, seed, threads, output, json,
        };
        command.SetAction(result => Run(new BatchingBenchSettings(
            defaults with { Frames = result.GetValue(frames), BatchSize = result.GetValue(batch), Runs = result.GetValue(runs), Seed = result.GetValue(seed) },
            result.GetValue(threads), result.GetValue(output), result.GetValue(json))));
        return command;
    }

    private static int Run(BatchingBenchSettings settings)
    {
        CommonOptions.UseThreads(settings.Threads);
        var report = new BatchingBenchmark(settings.Options).Run(new Progress<string>(Console.Error.WriteLine));
        ReportOutput.Emit("batching", settings.Out, settings.Json, Markdown(report, settings.Threads), report, Chart(report));
        return 0;
    }

    private static string Markdown(BatchingReport report, int threads)
    {
        var o = report.Options;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Batching variable-length latents\n");
        text.AppendLine(CultureInfo.InvariantCulture, $"`{ReportOutput.CommandLine}`\n");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{o.Frames} sentence lengths (lognormal, median {o.MedianLength}, σ {o.Spread}, clamped to {o.MinLength}–{o.MaxLength}; seed {o.Seed}): mean {report.MeanLength:F1}, p50 {report.P50}, p90 {report.P90}, p99 {report.P99}. "
            + $"Server part: two transformer encoder layers (384 wide, 12 heads) with a padding mask and masked mean pooling, batch {o.BatchSize}, {threads} libtorch thread(s); {o.Runs} interleaved runs per policy.\n");
        text.AppendLine("| policy | batches | mean batch | padded positions | frames/s (each run) | frames a frame waits behind (p99) | max output difference |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var row in report.Rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Policy} | {row.Batches} | {row.MeanBatch:F1} | {row.PaddingFraction:P0} | {string.Join(" / ", row.FramesPerSecond.Select(f => f.ToString("F0", CultureInfo.InvariantCulture)))} | {row.P99Wait} | {row.MaxDifference:E1} |");
        }
        return text.ToString();
    }

    private static ScottPlot.Plot Chart(BatchingReport report)
    {
        var plot = new ScottPlot.Plot();
        var bars = report.Rows.Select((row, i) => new ScottPlot.Bar { Position = i, Value = row.FramesPerSecond.Average() }).ToArray();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, report.Rows.Count).Select(i => (double)i)], [.. report.Rows.Select(r => Wrap(r.Policy, 20))]);
        plot.Axes.Left.Label.Text = "frames/s (mean of runs)";
        plot.Axes.Margins(bottom: 0);
        return plot;
    }

    // Tick labels on lines of at most about `width` characters, so neighbours do not overlap.
    private static string Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = "";
        foreach (var word in text.Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                lines.Add(line);
                line = word;
            }
            else
            {
                line = line.Length == 0 ? word : $"{line} {word}";
            }
        }
        lines.Add(line);
        return string.Join('\n', lines);
    }
}
