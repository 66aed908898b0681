using System.CommandLine;
using System.Diagnostics;
using SplitNet.Codec;
using SplitNet.Evaluation;
using SplitNet.Models.Analysis;
using SplitNet.Models.Bundles;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using SplitNet.Models.Data;
using SplitNet.Training.Student;

namespace SplitNet.Cli.Commands;

/// <summary><c>splitnet bench ...</c>: full-dataset measurements.</summary>
internal static class BenchCommands
{
    public static Command Create() => new("bench", "Measure models: accuracy on the full dataset, compute cost.") { Teacher(), Cost(), RateAccuracy(), ServerBenchCommand.Create(), FailoverBenchCommand.Create(), BandwidthDropBenchCommand.Create(), EarlyExitBenchCommand.Create() };

    private static Command Teacher()
    {
        var data = CommonOptions.Data(FashionMnist.DebianDirectory);
        var teacher = CommonOptions.Teacher();
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var command = new Command("teacher", "Top-1 accuracy of a teacher bundle on the full Fashion-MNIST test set.")
        {
            data, teacher, threads, json,
        };
        command.SetAction(result =>
        {
            TorchSharp.torch.set_num_threads(result.GetValue(threads));
            var test = CommonOptions.LoadTest(result.GetValue(data)!);
            var (model, manifest) = TeacherBundle.Load(result.GetValue(teacher)!);
            var clock = Stopwatch.StartNew();
            var progress = new Progress<int>(done => Console.Error.Write($"\revaluated {done}/{test.Count}"));
            var predictions = TeacherEvaluation.Predict(model, test, progress: Console.IsErrorRedirected ? null : progress);
            var seconds = clock.Elapsed.TotalSeconds;
            var accuracy = TeacherEvaluation.Accuracy(predictions, test.Labels);
            var perClass = new double[manifest.Labels.Count];
            var counts = new int[manifest.Labels.Count];
            for (int i = 0; i < test.Count; i++)
            {
                counts[test.Labels[i]]++;
                perClass[test.Labels[i]] += predictions[i] == test.Labels[i] ? 1 : 0;
            }
            for (int c = 0; c < perClass.Length; c++)
            {
                perClass[c] = counts[c] == 0 ? 0 : perClass[c] / counts[c];
            }
            if (result.GetValue(json))
            {
                JsonOutput.Write(new
                {
                    model = manifest.ModelId,
                    images = test.Count,
                    accuracy,
                    per_class = manifest.Labels.Select((label, c) => new { label, accuracy = perClass[c] }),
                    images_per_second = test.Count / seconds,
                });
                return 0;
            }
            Console.Error.WriteLine();
            Console.WriteLine($"{manifest.ModelId}: {accuracy:P2} top-1 on {test.Count} test images ({test.Count / seconds:F0} images/s)");
            for (int c = 0; c < perClass.Length; c++)
            {
                Console.WriteLine($"  {manifest.Labels[c],-12} {perClass[c]:P1}");
            }
            return 0;
        });
        return command;
    }

    private static Command Cost()
    {
        var channels = new Option<int>("--latent-channels") { DefaultValueFactory = _ => new StudentConfig().LatentChannels };
        var encoder = CommonOptions.Encoder();
        var json = CommonOptions.Json();
        var command = new Command("cost", "Parameters and MACs per image of the teacher's parts and of the student's encoder and decoder.")
        {
            channels, encoder, json,
        };
        command.SetAction(result =>
        {
            using var teacher = new TeacherNet(TeacherConfig.Default);
            using var student = new EntropicStudent(new StudentConfig(result.GetValue(channels), Encoder: result.GetValue(encoder)), TeacherConfig.Default);
            var n = student.Config.LatentChannels;
            var rows = new (string Part, ModelCost Cost)[]
            {
                ("teacher", ModelCost.Measure(teacher, 1, 1, 28, 28)),
                ("teacher stem..stage2 (replaced by the encoder)", ModelCost.Measure(teacher, x => teacher.Run(x, TeacherStage.Stem, TeacherStage.Stage2), 1, 1, 28, 28)),
                ("teacher stage3..head (the tail)", ModelCost.Measure(teacher, x => teacher.Run(x, TeacherStage.Stage3, TeacherStage.Head), 1, 64, 14, 14)),
                ("student encoder g_a", ModelCost.Measure(student.Encoder, 1, 1, 28, 28)),
                ("student decoder g_s", ModelCost.Measure(student.Decoder, 1, n, StudentConfig.LatentSize, StudentConfig.LatentSize)),
            };
            if (result.GetValue(json))
            {
                JsonOutput.Write(new { rows = rows.Select(r => new { part = r.Part, parameters = r.Cost.Parameters, macs = r.Cost.Macs }) });
                return 0;
            }
            foreach (var (part, cost) in rows)
            {
                Console.WriteLine($"{part,-48} {cost.Parameters,10:N0} parameters {cost.Macs / 1e6,8:F2} M MACs");
            }
            return 0;
        });
        return command;
    }

    private static Command RateAccuracy()
    {
        var data = CommonOptions.Data(FashionMnist.DebianDirectory);
        var teacher = CommonOptions.Teacher();
        var students = new Option<string[]>("--student")
        {
            Description = "Finished student run folder (repeatable).",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [],
        };
        var models = new Option<string[]>("--model")
        {
            Description = "Split-model folder with edge/ and server/ bundles, every rate level a row (repeatable; default: the shipped model).",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => Directory.Exists(CommonOptions.DefaultEntropic) ? [CommonOptions.DefaultEntropic] : [],
        };
        var output = new Option<string>("--out") { Description = "Report folder.", DefaultValueFactory = _ => "tests/SplitNet.Benchmarks/reports" };
        var limit = new Option<int>("--limit") { Description = "Use the first N test images only (0 = all)." };
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var command = new Command("rate-accuracy", "Accuracy against bytes per image: entropic students, input codecs, naive splits and the teacher; writes Markdown, JSON and a PNG plot.")
        {
            data, teacher, models, students, output, limit, threads, json,
        };
        command.SetAction(result =>
        {
            TorchSharp.torch.set_num_threads(result.GetValue(threads));
            var test = CommonOptions.LoadTest(result.GetValue(data)!);
            if (result.GetValue(limit) > 0)
            {
                test = test.Take(result.GetValue(limit));
            }
            var (teacherNet, _) = TeacherBundle.Load(result.GetValue(teacher)!);
            var bench = new RateAccuracyBenchmark(teacherNet, test);
            var rows = new List<RateAccuracyRow>();
            void Add(RateAccuracyRow row)
            {
                rows.Add(row);
                Console.Error.WriteLine($"{row.Method,-24} {row.Setting,-10} {row.Accuracy,8:P2} {row.BytesPerImage,10:F1} B");
            }
            foreach (var directory in result.GetValue(models)!)
            {
                var (manifest, edges) = SplitModelBundle.Load(SplitModelBundle.SideDirectory(directory, BundleSide.Edge), BundleSide.Edge);
                var (_, servers) = SplitModelBundle.Load(SplitModelBundle.SideDirectory(directory, BundleSide.Server), BundleSide.Server);
                for (int level = 0; level < edges.Length; level++)
                {
                    var macs = ModelCost.Measure(edges[level].Encoder, 1, 1, 28, 28).Macs;
                    var beta = manifest.Levels[level].Beta.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    Add(bench.Student(edges[level], servers[level], manifest.ModelId, beta, macs));
                }
            }
            foreach (var directory in result.GetValue(students)!)
            {
                var (student, state) = StudentRun.Load(directory, teacherNet.Config);
                var macs = ModelCost.Measure(student.Encoder, 1, 1, 28, 28).Macs;
                var recipe = StudentRecipe.Describe(state.Options, state.Architecture);
                Add(bench.Student(student, $"student ({recipe})", state.Options.Beta.ToString(System.Globalization.CultureInfo.InvariantCulture), macs));
            }
            Add(bench.Teacher());
            Add(bench.NaiveSplit(TeacherStage.Stage2, CodecId.Affine8Lz4));
            Add(bench.NaiveSplit(TeacherStage.Stage2, CodecId.RawFloat32));
            foreach (var codec in InputCodec.Sweep())
            {
                Add(bench.InputCodec(codec));
            }
            var commandLine = JsonOutput.CommandLine;
            RateAccuracyReport.Write(rows, test.Count, result.GetValue(output)!, commandLine);
            if (result.GetValue(json))
            {
                Console.WriteLine(RateAccuracyReport.ToJson(rows, test.Count));
            }
            else
            {
                Console.WriteLine($"wrote rate-accuracy.md, .json and .png to {result.GetValue(output)}");
            }
            return 0;
        });
        return command;
    }
}
