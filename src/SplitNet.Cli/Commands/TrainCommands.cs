using System.CommandLine;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using SplitNet.Training.EarlyExit;
using SplitNet.Training.Student;
using SplitNet.Models.Text;
using SplitNet.Training.Teacher;
using SplitNet.Training.Text;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet train teacher</c>; <paramref name="Out"/> is the run folder (checkpoints, resumed if present).</summary>
internal sealed record TrainTeacherSettings(string Data, string Out, string? Bundle, int Threads, bool Json, TeacherTrainingOptions Options);

/// <summary>The options of <c>splitnet train student</c>; <paramref name="Out"/> is the run folder (checkpoints, resumed if present).</summary>
internal sealed record TrainStudentSettings(string Data, string Teacher, string Out, int TestLimit, int Threads, bool Json,
    StudentTrainingOptions Options, StudentConfig Architecture);

/// <summary>The options of <c>splitnet train early-exit</c>; the heads are written into <paramref name="Model"/>'s edge bundle.</summary>
internal sealed record TrainEarlyExitSettings(string Data, string Teacher, string Model, int[] Levels, int TrainLimit, string Out, int Threads, bool Json,
    EarlyExitOptions Options);

/// <summary>The options of <c>splitnet train text</c>; <paramref name="Out"/> is the run folder (checkpoints, resumed if present).</summary>
internal sealed record TrainTextSettings(string Data, string Out, int TestLimit, int Threads, bool Json, TextBottleneckOptions Options);

/// <summary><c>splitnet train ...</c>: reproducible training runs.</summary>
internal static class TrainCommands
{
    public static Command Create() => new("train", "Train models.") { TeacherCommand(), StudentCommand(), EarlyExitCommand(), TextCommand() };

    private static Command TextCommand()
    {
        var defaults = new TextBottleneckOptions(new TokenBottleneckConfig());
        var data = CommonOptions.Data(WordNet.DebianDirectory);
        var cut = new Option<int>("--cut") { Description = "Transformer layers the edge runs (k).", DefaultValueFactory = _ => defaults.Bottleneck.Cut };
        var channels = new Option<int>("--channels") { Description = "Latent channels per token (N).", DefaultValueFactory = _ => defaults.Bottleneck.Channels };
        var width = new Option<int>("--width") { Description = "Hidden width of g_a and g_s.", DefaultValueFactory = _ => defaults.Bottleneck.Width };
        var beta = new Option<double>("--beta") { Description = "Rate weight β, per bit per token.", DefaultValueFactory = _ => defaults.Beta };
        var cosineWeight = new Option<double>("--cosine-weight") { DefaultValueFactory = _ => defaults.CosineWeight };
        var cutEpochs = new Option<int>("--cut-epochs") { Description = "Stage 1: epochs on the hidden state at the cut alone.", DefaultValueFactory = _ => defaults.CutEpochs };
        var epochs = new Option<int>("--epochs") { Description = "Stage 2: epochs with the sentence embedding through the frozen tail (may be raised to resume).", DefaultValueFactory = _ => defaults.Epochs };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => defaults.Seed };
        var densityRate = new Option<double>("--density-rate-scale")
        {
            Description = "Learning-rate multiple of the factorized prior (density and quantiles) over g_a and g_s.",
            DefaultValueFactory = _ => defaults.DensityRateScale,
        };
        var trainLimit = new Option<int>("--train-limit") { Description = "Train on N glosses drawn at random (seeded; 0 = all)." };
        var testLimit = new Option<int>("--test-limit") { Description = "Score on the first N held-out glosses.", DefaultValueFactory = _ => 1000 };
        var output = new Option<string>("--out") { Description = "Run folder: checkpoints every epoch (resumed if present), then the score.", Required = true };
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var command = new Command("text", "Train a per-token entropic bottleneck at a cut of all-MiniLM-L6-v2 on WordNet noun glosses, by distillation from the unsplit model.")
        {
            data, cut, channels, width, beta, cosineWeight, cutEpochs, epochs, seed, densityRate, trainLimit, testLimit, output, threads, json,
        };
        command.SetAction((result, cancellation) => Task.FromResult(Text(new TrainTextSettings(
            result.GetValue(data)!, result.GetValue(output)!, result.GetValue(testLimit), result.GetValue(threads), result.GetValue(json),
            defaults with
            {
                Bottleneck = new TokenBottleneckConfig(result.GetValue(cut), result.GetValue(channels), result.GetValue(width)),
                Beta = result.GetValue(beta),
                CosineWeight = result.GetValue(cosineWeight),
                CutEpochs = result.GetValue(cutEpochs),
                Epochs = result.GetValue(epochs),
                Seed = result.GetValue(seed),
                DensityRateScale = result.GetValue(densityRate),
                TrainLimit = result.GetValue(trainLimit),
            }), cancellation)));
        return command;
    }

    private static int Text(TrainTextSettings settings, CancellationToken cancellation)
    {
        CommonOptions.UseThreads(settings.Threads);
        var (modelPath, vocabulary) = MiniLmPackage.Locate();
        using var bert = BertOnnxImport.Load(modelPath, BertConfig.MiniLmL6);
        var tokenizer = new WordPieceTokenizer(vocabulary, TextSplits.MaxTokens);
        var (train, test) = TextSplits.NounGlosses(settings.Data);
        var trainIds = train.Select(s => tokenizer.Encode(s.Gloss)).ToArray();
        var testIds = test.Take(settings.TestLimit).Select(s => tokenizer.Encode(s.Gloss)).ToArray();
        var (bottleneck, state) = new TextBottleneckTrainer(bert, settings.Options).Train(trainIds, settings.Out, new ConsoleProgress(), cancellation);
        using var _ = bottleneck;
        var score = TextBottleneckEvaluation.Evaluate(bert, bottleneck, testIds);
        BundleJson.Write(Path.Combine(settings.Out, "score.json"), new { options = settings.Options, cut = state.Cut, score, seconds = state.Seconds });
        if (settings.Json)
        {
            JsonOutput.Write(new { cosine = score.Cosine, ideal_bits_per_token = score.IdealBitsPerToken, sentences = score.Sentences, seconds = state.Seconds });
        }
        else
        {
            Console.WriteLine($"k={settings.Options.Bottleneck.Cut}, N={settings.Options.Bottleneck.Channels}, β={settings.Options.Beta}: cosine {score.Cosine:F4} to the unsplit embedding at {score.IdealBitsPerToken / 8:F2} ideal bytes/token on {score.Sentences} held-out glosses; {state.Seconds / 60:F1} min");
        }
        return 0;
    }

    private static Command EarlyExitCommand()
    {
        var defaults = new EarlyExitOptions();
        var data = CommonOptions.Data(FashionMnist.DebianDirectory);
        var teacher = CommonOptions.Teacher();
        var model = new Option<string>("--model") { Description = "Split-model folder (edge/ and server/); the heads are written into its edge bundle.", Required = true };
        var levels = new Option<int[]>("--levels") { Description = "Rate levels to train a head for (default: all).", AllowMultipleArgumentsPerToken = true };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => defaults.Epochs };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => defaults.Seed };
        var trainLimit = new Option<int>("--train-limit") { Description = "Train on the first N images only (0 = all)." };
        var output = new Option<string>("--out") { Description = "Run folder for checkpoints, one per model and level (resumed if present).", DefaultValueFactory = _ => "runs/early-exit" };
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var command = new Command("early-exit", "Distil the teacher into a small classifier on each level's latent and add it to the edge bundle.")
        {
            data, teacher, model, levels, epochs, seed, trainLimit, output, threads, json,
        };
        command.SetAction((result, cancellation) => Task.FromResult(EarlyExit(new TrainEarlyExitSettings(
            result.GetValue(data)!, result.GetValue(teacher)!, result.GetValue(model)!, result.GetValue(levels) ?? [], result.GetValue(trainLimit),
            result.GetValue(output)!, result.GetValue(threads), result.GetValue(json), defaults with { Epochs = result.GetValue(epochs), Seed = result.GetValue(seed) }), cancellation)));
        return command;
    }

    private static int EarlyExit(TrainEarlyExitSettings settings, CancellationToken cancellation)
    {
        CommonOptions.UseThreads(settings.Threads);
        var options = settings.Options;
        var train = FashionMnist.Load(settings.Data, DatasetSplit.Train);
        if (settings.TrainLimit > 0)
        {
            train = train.Take(settings.TrainLimit);
        }
        var test = FashionMnist.Load(settings.Data, DatasetSplit.Test);
        var edgeDirectory = SplitModelBundle.SideDirectory(settings.Model, BundleSide.Edge);
        var (network, _) = TeacherBundle.Load(settings.Teacher);
        if (SplitModelBundle.ReadManifest(edgeDirectory, out _).Family == EntropicLadderFamily.FamilyName)
        {
            return LadderEarlyExit(settings, edgeDirectory, network, train, test, cancellation);
        }
        var (manifest, edges) = TorchBundles.Load(edgeDirectory, BundleSide.Edge);
        Console.Error.WriteLine($"teacher logits on {train.Count} training images …");
        var logits = EarlyExitTrainer.TeacherLogits(network, train);
        var chosen = settings.Levels is { Length: > 0 } some ? some : Enumerable.Range(0, edges.Length).ToArray();
        var trained = new List<object>();
        foreach (int level in chosen)
        {
            Console.Error.WriteLine($"level {level}:");
            var runDirectory = Path.Combine(settings.Out, manifest.ModelId, $"level{level}");
            var (head, accuracy) = new EarlyExitTrainer(runDirectory, edges[level], options).Run(logits, train, test, new ConsoleProgress(), cancellation);
            EarlyExitBundle.Save(edgeDirectory, level, head, accuracy);
            trained.Add(new { level, accuracy });
            if (!settings.Json)
            {
                Console.WriteLine($"level {level}: early exit {accuracy:P2} top-1 on {test.Count} test images; written to {edgeDirectory}");
            }
        }
        if (settings.Json)
        {
            JsonOutput.Write(new { model = manifest.ModelId, epochs = options.Epochs, seed = options.Seed, levels = trained });
        }
        return 0;
    }

    /// <summary>
    /// A variable-rate model's edge codes every level from one latent, so one head on that latent
    /// serves every level (or the chosen ones): trained once, written once.
    /// </summary>
    private static int LadderEarlyExit(TrainEarlyExitSettings settings, string edgeDirectory, TeacherNet network, LabeledImages train, LabeledImages test, CancellationToken cancellation)
    {
        var (manifest, edge) = TorchBundles.LoadLadder(edgeDirectory, BundleSide.Edge);
        using (edge)
        {
            Console.Error.WriteLine($"teacher logits on {train.Count} training images …");
            var logits = EarlyExitTrainer.TeacherLogits(network, train);
            int[] levels = settings.Levels is { Length: > 0 } some ? some : [.. manifest.Levels.Select(l => l.Level)];
            var (head, accuracy) = new EarlyExitTrainer(Path.Combine(settings.Out, manifest.ModelId, "ladder"), edge, settings.Options)
                .Run(logits, train, test, new ConsoleProgress(), cancellation);
            using (head)
            {
                EarlyExitBundle.Save(edgeDirectory, levels, "ladder.exit.safetensors", head, accuracy);
            }
            if (settings.Json)
            {
                JsonOutput.Write(new { model = manifest.ModelId, epochs = settings.Options.Epochs, seed = settings.Options.Seed, levels = levels.Select(level => new { level, accuracy }) });
            }
            else
            {
                Console.WriteLine($"levels {string.Join(",", levels)}: one early exit, {accuracy:P2} top-1 on {test.Count} test images; written to {edgeDirectory}");
            }
        }
        return 0;
    }

    private static Command TeacherCommand()
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
        command.SetAction((result, cancellation) => Task.FromResult(Teacher(new TrainTeacherSettings(
            result.GetValue(data)!, result.GetValue(output)!, result.GetValue(bundle), result.GetValue(threads), result.GetValue(json), defaults with
            {
                Epochs = result.GetValue(epochs),
                BatchSize = result.GetValue(batch),
                MaxLearningRate = result.GetValue(lr),
                Seed = result.GetValue(seed),
                TrainLimit = result.GetValue(trainLimit),
                TestLimit = result.GetValue(testLimit),
            }), cancellation)));
        return command;
    }

    private static int Teacher(TrainTeacherSettings settings, CancellationToken cancellation)
    {
        CommonOptions.UseThreads(settings.Threads);
        var options = settings.Options;
        var train = FashionMnist.Load(settings.Data, DatasetSplit.Train);
        var test = FashionMnist.Load(settings.Data, DatasetSplit.Test);
        var runDirectory = settings.Out;
        var trainer = new TeacherTrainer(runDirectory, options, TeacherConfig.Default);
        var (model, state) = trainer.Run(train, test, new ConsoleProgress(), cancellation);
        var accuracy = state.History[^1].TestAccuracy;
        var summary = new TrainingSummary(options.Seed, options.Epochs, Math.Round(state.Seconds, 1), accuracy,
            options.TestLimit > 0 ? Math.Min(options.TestLimit, test.Count) : test.Count,
            $"splitnet train teacher --epochs {options.Epochs} --seed {options.Seed}");
        var bundleDirectory = settings.Bundle ?? Path.Combine(runDirectory, "bundle");
        TeacherBundle.Save(model, bundleDirectory, "fmnist-resnet", summary);
        if (settings.Json)
        {
            JsonOutput.Write(new { bundle = bundleDirectory, test_accuracy = accuracy, seconds = state.Seconds, epochs = options.Epochs });
        }
        else
        {
            Console.WriteLine($"Teacher: {accuracy:P2} top-1 on {summary.TestImages} test images after {options.Epochs} epochs, {state.Seconds / 60:F1} min of training. Bundle: {bundleDirectory}");
        }
        return 0;
    }

    private static Command StudentCommand()
    {
        var defaults = new StudentTrainingOptions();
        var data = CommonOptions.Data(FashionMnist.DebianDirectory);
        var teacher = CommonOptions.Teacher();
        var beta = new Option<double?>("--beta") { Description = "Rate weight β (bits per image against squared error); with --ladder, of every channel unless --rung-beta gives one per rung." };
        var stage1 = new Option<int>("--stage1-epochs") { DefaultValueFactory = _ => defaults.Stage1Epochs };
        var stage2 = new Option<int>("--stage2-epochs") { DefaultValueFactory = _ => defaults.Stage2Epochs };
        var task = new Option<double>("--task-weight") { Description = "Weight of the logit KL in stage 1 (0: the paper's plain recipe)." };
        var feature = new Option<double>("--feature-weight") { Description = "Weight of the squared feature error in stage 1.", DefaultValueFactory = _ => defaults.FeatureWeight };
        var straightThrough = new Option<bool>("--straight-through") { Description = "Decoder sees rounded latents with a straight-through gradient in stage 1." };
        var architecture = new StudentConfig();
        var channels = new Option<int>("--latent-channels") { DefaultValueFactory = _ => architecture.LatentChannels };
        var encoderWidth = new Option<int>("--encoder-width") { DefaultValueFactory = _ => architecture.EncoderWidth };
        var decoderWidth = new Option<int>("--decoder-width") { DefaultValueFactory = _ => architecture.DecoderWidth };
        var encoder = CommonOptions.Encoder();
        var stage1Tail = new Option<bool>("--stage1-tail") { Description = "Train the tail (stage 3, head) with the decoder in stage 1 (the paper keeps it frozen)." };
        var cosine = new Option<bool>("--cosine") { Description = "Cosine-anneal each stage's learning rate to a twentieth (the paper keeps it constant)." };
        var initFrom = new Option<string?>("--init-from") { Description = "Finished student run whose encoder, entropy model and decoder start this one (e.g. a neighbouring β)." };
        var ladder = new Option<string?>("--ladder")
        {
            Description = "Train one variable-rate student: latent channel counts, ascending, the last all of them (e.g. 1,2,3,4,6,8,12,16); every prefix is scored.",
        };
        var rungBeta = new Option<string?>("--rung-beta")
        {
            Description = "With --ladder, instead of --beta: the β of each rung, as a single-rate student of its rate would be trained (e.g. 0.015,0.006,0.003,0.002,0.001,0.0006,0.0003,0.0002); each channel is charged its rung's β times the share of decoder passes that see it.",
        };
        var sandwich = new Option<bool>("--sandwich") { Description = "With --ladder: every image also trains the top rung (a second decoder pass) beside a lower rung drawn at random." };
        var teacherBlockRate = new Option<double>("--tune-teacher-block")
        {
            Description = "Learning rate in stage 1 of g_a's copy of the teacher's stage-2 first block (teacher-block encoder); 0 keeps it frozen.",
        };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => defaults.Seed };
        var trainLimit = new Option<int>("--train-limit") { Description = "Train on the first N images only (0 = all)." };
        var testLimit = new Option<int>("--test-limit") { Description = "Evaluate on the first N test images only (0 = all)." };
        var output = new Option<string>("--out") { Description = "Run folder: checkpoints every epoch (resumed if present), then the weights and score.", Required = true };
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var command = new Command("student", "Train an Entropic Student against the teacher at one rate level (β).")
        {
            data, teacher, beta, stage1, stage2, task, feature, straightThrough, stage1Tail, channels, encoderWidth, decoderWidth, encoder, cosine, initFrom, ladder, rungBeta, sandwich, teacherBlockRate, seed, trainLimit, testLimit, output, threads, json,
        };
        command.Validators.Add(result =>
        {
            bool rungBetas = result.GetValue(rungBeta) is not null;
            if (result.GetValue(beta) is null != rungBetas)
            {
                result.AddError("Give --beta, or --rung-beta with --ladder (not both).");
            }
            if ((rungBetas || result.GetValue(sandwich)) && result.GetValue(ladder) is null)
            {
                result.AddError("--rung-beta and --sandwich shape a --ladder.");
            }
        });
        command.SetAction((result, cancellation) => Task.FromResult(Student(new TrainStudentSettings(
            result.GetValue(data)!, result.GetValue(teacher)!, result.GetValue(output)!, result.GetValue(testLimit), result.GetValue(threads), result.GetValue(json),
            defaults with
            {
                Beta = result.GetValue(beta) ?? ChannelLadder.Parse(result.GetValue(ladder)!, result.GetValue(rungBeta)).RungBetas![^1],
                Stage1Epochs = result.GetValue(stage1),
                Stage2Epochs = result.GetValue(stage2),
                TaskWeight = result.GetValue(task),
                FeatureWeight = result.GetValue(feature),
                StraightThrough = result.GetValue(straightThrough),
                Stage1Tail = result.GetValue(stage1Tail),
                CosineDecay = result.GetValue(cosine),
                InitFrom = result.GetValue(initFrom) is { } init ? Path.GetFullPath(init) : null,
                Ladder = result.GetValue(ladder) is { } rungs ? ChannelLadder.Parse(rungs, result.GetValue(rungBeta), result.GetValue(sandwich)) : null,
                TeacherBlockLearningRate = result.GetValue(teacherBlockRate),
                Seed = result.GetValue(seed),
                TrainLimit = result.GetValue(trainLimit),
            },
            new StudentConfig(result.GetValue(channels), result.GetValue(encoderWidth), result.GetValue(decoderWidth), result.GetValue(encoder))), cancellation)));
        return command;
    }

    private static int Student(TrainStudentSettings settings, CancellationToken cancellation)
    {
        CommonOptions.UseThreads(settings.Threads);
        var options = settings.Options;
        var train = FashionMnist.Load(settings.Data, DatasetSplit.Train);
        var test = FashionMnist.Load(settings.Data, DatasetSplit.Test);
        if (settings.TestLimit > 0)
        {
            test = test.Take(settings.TestLimit);
        }
        var (teacherNet, _) = TeacherBundle.Load(settings.Teacher);
        var outDirectory = settings.Out;
        var (student, state) = new StudentTrainer(outDirectory, teacherNet, options, settings.Architecture)
            .Run(train, new ConsoleProgress(), cancellation);
        var seconds = state.Seconds;
        var score = StudentEvaluation.Evaluate(student, test);
        var rungs = options.Ladder is { } ladder ? StudentEvaluation.Evaluate(student, test, ladder) : [];
        BundleJson.Write(Path.Combine(outDirectory, "score.json"), new { options, config = student.Config, score, rungs = rungs.Select(r => new { channels = r.Channels, score = r.Score }), seconds });
        if (!settings.Json)
        {
            foreach (var (n, rung) in rungs)
            {
                Console.WriteLine($"  first {n,2} channels: {rung.Accuracy:P2} at {rung.CompactBytes:F1} compact bytes/image (ideal {rung.IdealBytes:F1})");
            }
        }
        if (settings.Json)
        {
            JsonOutput.Write(new { beta = options.Beta, accuracy = score.Accuracy, bytes_per_image = score.CodedBytes, compact_bytes_per_image = score.CompactBytes, ideal_bytes_per_image = score.IdealBytes, images = score.Images, seconds,
                rungs = rungs.Select(r => new { channels = r.Channels, accuracy = r.Score.Accuracy, compact_bytes_per_image = r.Score.CompactBytes, ideal_bytes_per_image = r.Score.IdealBytes }) });
        }
        else
        {
            Console.WriteLine($"β={options.Beta}: {score.Accuracy:P2} on {score.Images} test images at {score.CodedBytes:F1} coded bytes/image ({score.CompactBytes:F1} compact, ideal {score.IdealBytes:F1}); {seconds / 60:F1} min");
        }
        return 0;
    }
}
