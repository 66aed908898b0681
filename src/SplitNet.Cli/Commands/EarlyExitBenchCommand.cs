using System.CommandLine;
using System.Globalization;
using System.Text;
using SplitNet.Evaluation;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet bench early-exit</c>.</summary>
internal sealed record EarlyExitBenchSettings(string Data, string Model, int Limit, string? Out, bool Json);

/// <summary><c>splitnet bench early-exit</c>: accuracy against bytes sent over the threshold τ, per level, on the test set.</summary>
internal static class EarlyExitBenchCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data(FashionMnist.DebianDirectory);
        var model = CommonOptions.SplitModel();
        var limit = CommonOptions.Limit();
        var output = CommonOptions.ReportOut();
        var json = CommonOptions.Json();
        var command = new Command("early-exit", "Accuracy and bytes sent per frame over the early-exit threshold τ, for every level with an exit head.")
        {
            data, model, limit, output, json,
        };
        command.SetAction(result => Run(new EarlyExitBenchSettings(result.GetValue(data)!, result.GetValue(model)!, result.GetValue(limit), result.GetValue(output), result.GetValue(json))));
        return command;
    }

    private static int Run(EarlyExitBenchSettings settings)
    {
        var test = CommonOptions.LoadTest(settings.Data);
        if (settings.Limit > 0)
        {
            test = test.Take(settings.Limit);
        }
        var edgeDirectory = SplitModelBundle.SideDirectory(settings.Model, BundleSide.Edge);
        using var model = TorchSplitModel.Load(settings.Model);
        var manifest = model.Manifest;
        var heads = EarlyExitBundle.Load(edgeDirectory, manifest);
        var points = new List<EarlyExitPoint>();
        foreach (var level in model.Levels)
        {
            if (heads[level.Level] is { } head)
            {
                Console.Error.WriteLine($"level {level.Level} …");
                points.AddRange(EarlyExitCurve.Measure(level, head, manifest.Stream, test));
            }
        }
        var teacher = TeacherBundle.Load(CommonOptions.DefaultTeacher).Manifest.Training?.TestAccuracy ?? double.NaN;
        var targets = Targets(points, teacher);
        ReportOutput.Emit("early-exit", settings.Out, settings.Json, Markdown(points, targets, test.Count, teacher, ReportOutput.CommandLine),
            new { images = test.Count, teacher_accuracy = teacher, targets, points }, Chart(points, teacher));
        return 0;
    }

    /// <summary>Per level: the largest saving whose accuracy stays within 1 point of the teacher, and within 1 point of always offloading.</summary>
    internal sealed record LevelTarget(int Level, double OffloadAccuracy, double OffloadBytes,
        double? TauWithinTeacher, double? BytesRatioWithinTeacher, double? TauWithinOffload, double? BytesRatioWithinOffload, double? AccuracyWithinOffload);

    private static List<LevelTarget> Targets(List<EarlyExitPoint> points, double teacher) =>
        [.. points.GroupBy(p => p.Level).Select(g =>
        {
            var offload = g.Single(p => p.Tau > 1);
            var withinTeacher = g.Where(p => p.Accuracy >= teacher - 0.01).MinBy(p => p.BytesPerFrame);
            var withinOffload = g.Where(p => p.Accuracy >= offload.Accuracy - 0.01).MinBy(p => p.BytesPerFrame);
            return new LevelTarget(g.Key, offload.Accuracy, offload.BytesPerFrame,
                withinTeacher?.Tau, withinTeacher is null ? null : withinTeacher.BytesPerFrame / offload.BytesPerFrame,
                withinOffload?.Tau, withinOffload is null ? null : withinOffload.BytesPerFrame / offload.BytesPerFrame, withinOffload?.Accuracy);
        })];

    private static string Markdown(List<EarlyExitPoint> points, List<LevelTarget> targets, int images, double teacher, string command)
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        Line($"# Early exit on the edge: accuracy against bytes sent, {images:N0} test images");
        Line($"");
        Line($"Produced by `{command}`. A frame whose early-exit confidence reaches τ is answered on the edge and sends nothing;");
        Line($"the others are coded and answered by the server half. τ > 1 is always-offload. Teacher: {teacher:P2}.");
        Line($"");
        Line($"| level | always-offload | bytes | τ keeping ≥ teacher − 1 pt | bytes vs offload | τ keeping ≥ offload − 1 pt | accuracy | bytes vs offload |");
        Line($"|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var t in targets)
        {
            Line($"| {t.Level} | {t.OffloadAccuracy:P2} | {t.OffloadBytes:F1} | {(t.TauWithinTeacher is { } a ? a.ToString("0.###", CultureInfo.InvariantCulture) : "none")} | {(t.BytesRatioWithinTeacher is { } b ? b.ToString("0.00", CultureInfo.InvariantCulture) + " ×" : "–")} | {(t.TauWithinOffload is { } c ? c.ToString("0.###", CultureInfo.InvariantCulture) : "none")} | {(t.AccuracyWithinOffload is { } d ? d.ToString("P2", CultureInfo.InvariantCulture) : "–")} | {(t.BytesRatioWithinOffload is { } e ? e.ToString("0.00", CultureInfo.InvariantCulture) + " ×" : "–")} |");
        }
        Line($"");
        Line($"| level | τ | answered on the edge | their accuracy | accuracy | bytes sent per frame |");
        Line($"|---:|---:|---:|---:|---:|---:|");
        foreach (var p in points)
        {
            Line($"| {p.Level} | {(p.Tau > 1 ? "never" : p.Tau.ToString("0.###", CultureInfo.InvariantCulture))} | {p.ExitShare:P1} | {p.ExitAccuracy:P2} | {p.Accuracy:P2} | {p.BytesPerFrame:F1} |");
        }
        return text.ToString();
    }

    private static ScottPlot.Plot Chart(List<EarlyExitPoint> points, double teacher)
    {
        var plot = new ScottPlot.Plot();
        foreach (var level in points.GroupBy(p => p.Level))
        {
            var line = plot.Add.Scatter(level.Select(p => p.BytesPerFrame).ToArray(), level.Select(p => 100 * p.Accuracy).ToArray());
            line.LegendText = $"level {level.Key} (τ from 0.5 to never)";
        }
        plot.Add.HorizontalLine(100 * teacher).LegendText = "teacher";
        plot.Add.HorizontalLine(100 * (teacher - 0.01)).LegendText = "teacher − 1 point";
        plot.Axes.Bottom.Label.Text = "coded bytes sent per frame";
        plot.Axes.Left.Label.Text = "top-1 accuracy (%)";
        plot.Title("Early exit: accuracy against bytes sent");
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        return plot;
    }
}
