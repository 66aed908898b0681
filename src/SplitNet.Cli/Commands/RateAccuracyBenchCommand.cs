using System.CommandLine;
using System.Globalization;
using SplitNet.Codec;
using SplitNet.Evaluation;
using SplitNet.Models.Analysis;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Split;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using SplitNet.Training.Student;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet bench rate-accuracy</c>.</summary>
internal sealed record RateAccuracySettings(string Data, string Teacher, string[] Models, string[] Students, double[] FinerGrid, string? Targets, int Limit, int Threads, string? Out, bool Json);

/// <summary><c>splitnet bench rate-accuracy</c>: accuracy against bytes per image for every method.</summary>
internal static class RateAccuracyBenchCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data(FashionMnist.DebianDirectory);
        var teacher = CommonOptions.Teacher();
        var students = new Option<string[]>("--student")
        {
            Description = "Finished student run folder (repeatable).",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [],
        };
        var models = CommonOptions.SplitModels();
        var finerGrid = new Option<double[]>("--finer-grid")
        {
            Description = "Also score the first --model's top level with its latent rounded on these grid steps (e.g. 1 0.5 0.25: gains of 1, 2, 4 before quantization), in ideal bytes under its densities: the gain-vector ablation.",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [],
        };
        finerGrid.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double[]>().Any(step => !(step > 0 && step <= 1)))
            {
                result.AddError("--finer-grid: each grid step is in (0, 1].");
            }
        });
        var targets = new Option<string?>("--targets")
        {
            Description = "Method whose curve the targets are read from, as named in the table (default: the first entropic one).",
        };
        var output = CommonOptions.ReportOut();
        var limit = CommonOptions.Limit();
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var command = new Command("rate-accuracy", "Accuracy against bytes per image: entropic students, input codecs, naive splits and the teacher; a Markdown report with the targets, JSON and a PNG plot.")
        {
            data, teacher, models, students, finerGrid, targets, output, limit, threads, json,
        };
        command.SetAction(result => Run(new RateAccuracySettings(
            result.GetValue(data)!, result.GetValue(teacher)!, result.GetValue(models)!, result.GetValue(students)!, result.GetValue(finerGrid)!, result.GetValue(targets),
            result.GetValue(limit), result.GetValue(threads), result.GetValue(output), result.GetValue(json))));
        return command;
    }

    private static int Run(RateAccuracySettings settings)
    {
        CommonOptions.UseThreads(settings.Threads);
        var test = CommonOptions.LoadTest(settings.Data);
        if (settings.Limit > 0)
        {
            test = test.Take(settings.Limit);
        }
        var (teacherNet, _) = TeacherBundle.Load(settings.Teacher);
        var bench = new RateAccuracyBenchmark(teacherNet, test);
        var rows = new List<RateAccuracyRow>();
        void Add(RateAccuracyRow row)
        {
            rows.Add(row);
            Console.Error.WriteLine($"{row.Method,-24} {row.Setting,-10} {row.Accuracy,8:P2} {row.BytesPerImage,10:F1} B");
        }
        foreach (var directory in settings.Models)
        {
            // A variable-rate model's levels share one student a side, loaded once, each scored on its rung's prefixes.
            using var model = TorchSplitModel.Load(directory);
            foreach (var level in model.Levels)
            {
                var macs = ModelCost.Measure(level.Edge.Encoder, 1, 1, 28, 28).Macs;
                var beta = model.Manifest.Levels[level.Level].Beta.ToString(CultureInfo.InvariantCulture);
                var setting = level.Ladder is { } rungs ? Rung(beta, rungs, level.Level) : beta;
                Add(bench.Student(level.Edge, level.Server, $"{model.Manifest.ModelId} v{model.Manifest.Version}", setting, macs, level.Ladder is { } l ? (l, level.Level) : null));
            }
            if (directory == settings.Models[0])
            {
                var top = model.Levels[^1];
                var macs = ModelCost.Measure(top.Edge.Encoder, 1, 1, 28, 28).Macs;
                foreach (var step in settings.FinerGrid)
                {
                    Add(bench.FinerGrid(top.Edge, top.Server, $"{model.Manifest.ModelId} v{model.Manifest.Version} level {top.Level}, finer grid (ideal bytes)", step, macs));
                }
            }
        }
        foreach (var directory in settings.Students)
        {
            var (student, state) = StudentRun.Load(directory, teacherNet.Config);
            var macs = ModelCost.Measure(student.Encoder, 1, 1, 28, 28).Macs;
            var recipe = StudentRecipe.Describe(state.Options, state.Architecture);
            if (state.Options.Ladder is { } ladder)
            {
                for (int rung = 0; rung < ladder.Channels.Length; rung++)
                {
                    Add(bench.Student(student, student, $"student ({recipe})", Rung(ladder.RungBeta(rung, state.Options.Beta).ToString(CultureInfo.InvariantCulture), ladder.Channels, rung), macs, (ladder.Channels, rung)));
                }
                continue;
            }
            Add(bench.Student(student, $"student ({recipe})", state.Options.Beta.ToString(CultureInfo.InvariantCulture), macs));
        }
        Add(bench.Teacher());
        var stage2 = FeatureSplit.Point(teacherNet.Config, "stage2");
        Add(bench.NaiveSplit(stage2, CodecId.Affine8Lz4));
        Add(bench.NaiveSplit(stage2, CodecId.RawFloat32));
        foreach (var codec in InputCodec.Sweep())
        {
            Add(bench.InputCodec(codec));
        }
        var curve = settings.Targets;
        if (curve is not null && !rows.Any(r => r.Method == curve && r.IdealBytesPerImage is not null))
        {
            // The measurements are kept: the report reads the default curve's targets instead.
            Console.Error.WriteLine($"splitnet: --targets: no entropic curve is named '{curve}' (curves: {string.Join(", ", rows.Where(r => r.IdealBytesPerImage is not null).Select(r => r.Method).Distinct())}); reading the first one's targets.");
            curve = null;
        }
        ReportOutput.Emit(RateAccuracyReport.Name, settings.Out, settings.Json,
            RateAccuracyReport.Markdown(rows, test.Count, ReportOutput.CommandLine, curve), RateAccuracyReport.Data(rows, test.Count, curve),
            RateAccuracyReport.Chart(rows), RateAccuracyReport.PlotHeight);
        return 0;
    }

    private static string Rung(string beta, IReadOnlyList<int> ladder, int rung) => $"{beta} ({ladder[rung]}/{ladder[^1]} ch)";
}
