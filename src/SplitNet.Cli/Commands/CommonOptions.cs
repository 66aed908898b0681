using System.CommandLine;
using System.CommandLine.Parsing;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Server.Serving;
using SplitNet.Models.Student;

namespace SplitNet.Cli.Commands;

/// <summary>Options shared by several commands, and where the shipped assets live.</summary>
internal static class CommonOptions
{
    /// <summary>Shipped assets, copied beside the executable at build time.</summary>
    public static string AssetsDirectory => Path.Combine(AppContext.BaseDirectory, "assets");

    /// <summary>This program, to start more of itself (<c>splitnet serve</c> replicas): its assembly, run by the current host.</summary>
    public static string Splitnet => typeof(CommonOptions).Assembly.Location;

    public static string DefaultTeacher => Path.Combine(AssetsDirectory, "models", "teacher");

    /// <summary>The shipped entropic split model (edge/ and server/ bundles), when there is one.</summary>
    public static string DefaultEntropic => Path.Combine(AssetsDirectory, "models", "entropic");

    public static string SampleDirectory => Path.Combine(AssetsDirectory, "fashion-mnist-sample");

    /// <summary><c>--json</c>: one JSON object on stdout instead of text.</summary>
    public static Option<bool> Json() => new("--json")
    {
        Description = "Print one JSON object with the results instead of text.",
    };

    /// <summary><c>--data</c>: the Fashion-MNIST folder, defaulting to <paramref name="fallback"/> (the Debian dataset or the shipped sample).</summary>
    public static Option<string> Data(string fallback) => new("--data")
    {
        Description = $"Folder with the Fashion-MNIST IDX files (default: {fallback}).",
        DefaultValueFactory = _ => fallback,
    };

    /// <summary><c>--model</c> of the commands that run one split model: its folder, the shipped one by default.</summary>
    public static Option<string> SplitModel() => new("--model")
    {
        Description = SplitModelDescription + " (default: the shipped one).",
        DefaultValueFactory = _ => DefaultEntropic,
    };

    /// <summary><c>--model</c> of <c>bench rate-accuracy</c>: the same folders, repeatable; by default the shipped one if there is one.</summary>
    public static Option<string[]> SplitModels() => new("--model")
    {
        Description = SplitModelDescription + ", every rate level a row (repeatable; default: the shipped one).",
        AllowMultipleArgumentsPerToken = true,
        DefaultValueFactory = _ => Directory.Exists(DefaultEntropic) ? [DefaultEntropic] : [],
    };

    private const string SplitModelDescription = "Split-model folder with edge/ and server/ bundles";

    public static Option<string> Teacher() => new("--teacher")
    {
        Description = "Teacher bundle folder (manifest.json + safetensors).",
        DefaultValueFactory = _ => DefaultTeacher,
    };

    /// <summary><c>--threads</c>: libtorch's intra-op threads; apply it with <see cref="UseThreads"/>.</summary>
    public static Option<int> Threads() => new("--threads")
    {
        Description = "libtorch intra-op threads (0: one per core).",
        DefaultValueFactory = _ => 0,
    };

    /// <summary>Sets libtorch's process-wide intra-op thread count from <c>--threads</c> (0: one per core).</summary>
    public static void UseThreads(int threads) => TorchSharp.torch.set_num_threads(threads > 0 ? threads : Environment.ProcessorCount);

    /// <summary>Adds a check to <paramref name="option"/>: a value <paramref name="valid"/> refuses is a parse error saying <paramref name="error"/>.</summary>
    public static Option<T> Require<T>(this Option<T> option, Func<T, bool> valid, string error)
    {
        option.Validators.Add(result =>
        {
            if (!valid(result.GetValueOrDefault<T>()))
            {
                result.AddError($"{option.Name}: {error}");
            }
        });
        return option;
    }

    /// <summary><c>--seconds</c>: how long a run lasts; <paramref name="fallback"/> is the command's usual length.</summary>
    public static Option<double> Seconds(double fallback)
    {
        var option = new Option<double>("--seconds")
        {
            Description = "Length of the measured run in seconds, after any warm-up (edge, demo: 0 = one pass over the images).",
            DefaultValueFactory = _ => fallback,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() < 0)
            {
                result.AddError("--seconds: a length of time is not negative.");
            }
        });
        return option;
    }

    /// <summary><c>--deadline-ms</c>: the per-frame deadline; <paramref name="fallback"/> is the command's usual one.</summary>
    /// <summary>How many messages carry a segmented frame's refinements after its base (<c>EdgeClientOptions.RefinementMessages</c>).</summary>
    public static Option<int> RefinementMessages()
    {
        var option = new Option<int>("--refinement-messages")
        {
            Description = "Frames sent in segments: at most this many messages carry the refinements after the base, each a run of consecutive segments (every message costs its framing; more let part of a refinement arrive in time).",
            DefaultValueFactory = _ => 1,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--refinement-messages: at least one message carries the refinements.");
            }
        });
        return option;
    }

    public static Option<int> DeadlineMs(int fallback)
    {
        var option = new Option<int>("--deadline-ms")
        {
            Description = "Per-frame deadline in milliseconds, capture to answer: later answers count as missed; where the edge gives up at it, it is also the frame's budget on the server.",
            DefaultValueFactory = _ => fallback,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() <= 0)
            {
                result.AddError("--deadline-ms: a deadline is a positive number of milliseconds.");
            }
        });
        return option;
    }

    /// <summary><c>--out</c> of a benchmark: the only folder its report files go to.</summary>
    public static Option<string?> ReportOut() => new("--out")
    {
        Description = "Write the report (<name>.md, .json, .png) to this folder; without it no file is written and the report goes to stdout.",
    };

    /// <summary><c>--limit</c>: the first N test images only.</summary>
    public static Option<int> Limit() => new("--limit")
    {
        Description = "Use the first N test images only (0 = all).",
    };

    public static Option<StudentEncoder> Encoder() => new("--encoder")
    {
        HelpName = "compact|teacher-stem|teacher-block|mobile",
        Description = "Student encoder g_a: compact (the paper's, trained from scratch), teacher-stem (the teacher's frozen stem and stage 1, then two strided convolutions), teacher-block (also stage 2's first block, then one strided convolution) or mobile (MobileNetV2 inverted residuals, from scratch, about 5 M MACs at --encoder-width 32).",
        DefaultValueFactory = _ => new StudentConfig().Encoder,
        CustomParser = result => result.Tokens.Single().Value switch
        {
            "compact" => StudentEncoder.Compact,
            "teacher-stem" => StudentEncoder.TeacherStem,
            "teacher-block" => StudentEncoder.TeacherBlock,
            "mobile" => StudentEncoder.Mobile,
            var other => Fail(result, $"--encoder: '{other}' is not compact, teacher-stem, teacher-block or mobile."),
        },
    };

    private static StudentEncoder Fail(ArgumentResult result, string message)
    {
        result.AddError(message);
        return default;
    }

    /// <summary>The test split from <paramref name="directory"/>, or the shipped sample if it is the sample folder.</summary>
    /// <summary>
    /// The families an edge loads a split model's edge bundle with: ONNX Runtime (one thread) for
    /// <see cref="ModelBackend.OnnxRuntime"/>, and for <see cref="ModelBackend.Auto"/> when every level
    /// has an ONNX export of its edge part; TorchSharp otherwise.
    /// </summary>
    public static IReadOnlyList<Models.Split.ISplitModelFamily> EdgeFamilies(ModelBackend backend, string edgeBundle)
    {
        bool onnx = backend == ModelBackend.OnnxRuntime
            || (backend == ModelBackend.Auto && SplitModelBundle.ReadManifest(edgeBundle, out _).Levels.All(l => l.EdgeOnnx is not null));
        return onnx ? [new OnnxRuntime.OnnxRuntimeFamily(new OnnxRuntime.OnnxRuntimeOptions())] : Models.Split.TorchFamilies.All;
    }

    public static LabeledImages LoadTest(string directory) => FashionMnist.Load(directory, DatasetSplit.Test);
}
