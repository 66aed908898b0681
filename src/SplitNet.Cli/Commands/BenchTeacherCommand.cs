using System.CommandLine;
using System.Diagnostics;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Teacher;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet bench teacher</c>.</summary>
internal sealed record BenchTeacherSettings(string Data, string Teacher, int Threads, bool Json);

/// <summary><c>splitnet bench teacher</c>: top-1 accuracy of a teacher bundle, overall and per class.</summary>
internal static class BenchTeacherCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data(FashionMnist.DebianDirectory);
        var teacher = CommonOptions.Teacher();
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var command = new Command("teacher", "Top-1 accuracy of a teacher bundle on the full Fashion-MNIST test set.")
        {
            data, teacher, threads, json,
        };
        command.SetAction(result => Run(new BenchTeacherSettings(result.GetValue(data)!, result.GetValue(teacher)!, result.GetValue(threads), result.GetValue(json))));
        return command;
    }

    private static int Run(BenchTeacherSettings settings)
    {
        CommonOptions.UseThreads(settings.Threads);
        var test = CommonOptions.LoadTest(settings.Data);
        var (model, manifest) = TeacherBundle.Load(settings.Teacher);
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
        if (settings.Json)
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
    }
}
