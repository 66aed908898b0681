using System.CommandLine;
using SplitNet.Models.Data;

namespace SplitNet.Cli.Commands;

/// <summary><c>splitnet export ...</c>: produce the small artifacts shipped in the repository.</summary>
internal static class ExportCommands
{
    public static Command Create() => new("export", "Produce shipped artifacts.") { Sample() };

    private static Command Sample()
    {
        var data = CommonOptions.Data(FashionMnist.DebianDirectory);
        var count = new Option<int>("--count") { DefaultValueFactory = _ => 500 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 7 };
        var output = new Option<string>("--out") { Required = true, Description = "Folder for the sample's two IDX files." };
        var command = new Command("sample", "Write a seeded random subset of the test set as gzip IDX files.")
        {
            data, count, seed, output,
        };
        command.SetAction(result =>
        {
            var test = CommonOptions.LoadTest(result.GetValue(data)!);
            var indices = Enumerable.Range(0, test.Count).ToArray();
            new Random(result.GetValue(seed)).Shuffle(indices);
            var sample = test.Select(indices[..result.GetValue(count)]);
            FashionMnist.Save(sample, result.GetValue(output)!, FashionMnist.Prefix(DatasetSplit.Test));
            Console.WriteLine($"wrote {sample.Count} images to {result.GetValue(output)}");
            return 0;
        });
        return command;
    }
}
