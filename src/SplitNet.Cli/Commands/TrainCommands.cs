using System.CommandLine;
using System.Text.Json;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Teacher;
using SplitNet.Models.Training;

namespace SplitNet.Cli.Commands;

/// <summary><c>splitnet train ...</c>: reproducible training runs.</summary>
internal static class TrainCommands
{
    public static Command Create() => new("train", "Train models.") { Teacher() };

    private static Command Teacher()
    {
        var defaults = new TeacherTrainingOptions();
        var data = CommonOptions.Data(FashionMnist.DebianDirectory);
        var output = new Option<string>("--out") { Description = "Run folder for checkpoints (resumed if present).", DefaultValueFactory = _ => "runs/teacher" };
        var bundle = new Option<string?>("--bundle") { Description = "Where to write the final bundle (default: <out>/bundle)." };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => defaults.Epochs };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => defaults.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Peak one-cycle learning rate.", DefaultValueFactory = _ => defaults.MaxLearningRate };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => defaults.Seed };
        var trainLimit = new Option<int>("--train-limit") { Description = "Train on the first N images only (0 = all)." };
        var testLimit = new Option<int>("--test-limit") { Description = "Evaluate on the first N test images only (0 = all)." };
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var command = new Command("teacher", "Train the ResNet-style teacher on Fashion-MNIST.")
        {
            data, output, bundle, epochs, batch, lr, seed, trainLimit, testLimit, threads, json,
        };
        command.SetAction((result, cancellation) =>
        {
            TorchSharp.torch.set_num_threads(result.GetValue(threads));
            var options = defaults with
            {
                Epochs = result.GetValue(epochs),
                BatchSize = result.GetValue(batch),
                MaxLearningRate = result.GetValue(lr),
                Seed = result.GetValue(seed),
                TrainLimit = result.GetValue(trainLimit),
                TestLimit = result.GetValue(testLimit),
            };
            var directory = result.GetValue(data)!;
            var train = FashionMnist.Load(directory, DatasetSplit.Train);
            var test = FashionMnist.Load(directory, DatasetSplit.Test);
            var runDirectory = result.GetValue(output)!;
            var trainer = new TeacherTrainer(runDirectory, options, TeacherConfig.Default);
            var (model, state) = trainer.Run(train, test, new ConsoleProgress(), cancellation);
            var accuracy = state.History[^1].TestAccuracy;
            var summary = new TrainingSummary(options.Seed, options.Epochs, Math.Round(state.Seconds, 1), accuracy,
                options.TestLimit > 0 ? Math.Min(options.TestLimit, test.Count) : test.Count,
                $"splitnet train teacher --epochs {options.Epochs} --seed {options.Seed}");
            var bundleDirectory = result.GetValue(bundle) ?? Path.Combine(runDirectory, "bundle");
            TeacherBundle.Save(model, bundleDirectory, "fmnist-resnet", summary);
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { bundle = bundleDirectory, test_accuracy = accuracy, seconds = state.Seconds, epochs = options.Epochs }));
            }
            else
            {
                Console.WriteLine($"Teacher: {accuracy:P2} top-1 on {summary.TestImages} test images after {options.Epochs} epochs, {state.Seconds / 60:F1} min of training. Bundle: {bundleDirectory}");
            }
            return Task.FromResult(0);
        });
        return command;
    }
}
