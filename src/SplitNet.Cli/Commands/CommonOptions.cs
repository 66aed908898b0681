using System.CommandLine;
using System.CommandLine.Parsing;
using SplitNet.Models.Data;
using SplitNet.Models.Student;

namespace SplitNet.Cli.Commands;

/// <summary>Options shared by several commands, and where the shipped assets live.</summary>
internal static class CommonOptions
{
    /// <summary>Shipped assets, copied beside the executable at build time.</summary>
    public static string AssetsDirectory => Path.Combine(AppContext.BaseDirectory, "assets");

    public static string DefaultTeacher => Path.Combine(AssetsDirectory, "models", "teacher");

    /// <summary>The shipped entropic split model (edge/ and server/ bundles), when there is one.</summary>
    public static string DefaultEntropic => Path.Combine(AssetsDirectory, "models", "entropic");

    public static string SampleDirectory => Path.Combine(AssetsDirectory, "fashion-mnist-sample");

    public static Option<bool> Json() => new("--json")
    {
        Description = "Print one JSON object with the results instead of text.",
    };

    public static Option<string> Data(string fallback) => new("--data")
    {
        Description = $"Folder with the Fashion-MNIST IDX files (default: {fallback}).",
        DefaultValueFactory = _ => fallback,
    };

    public static Option<string> Teacher() => new("--teacher")
    {
        Description = "Teacher bundle folder (manifest.json + safetensors).",
        DefaultValueFactory = _ => DefaultTeacher,
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "Intra-op threads for TorchSharp.",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public static Option<StudentEncoder> Encoder() => new("--encoder")
    {
        HelpName = "compact|teacher-stem|teacher-block",
        Description = "Student encoder g_a: compact (the paper's, trained from scratch), teacher-stem (the teacher's frozen stem and stage 1, then two strided convolutions) or teacher-block (also stage 2's first block, then one strided convolution).",
        DefaultValueFactory = _ => new StudentConfig().Encoder,
        CustomParser = result => result.Tokens.Single().Value switch
        {
            "compact" => StudentEncoder.Compact,
            "teacher-stem" => StudentEncoder.TeacherStem,
            "teacher-block" => StudentEncoder.TeacherBlock,
            var other => Fail(result, $"--encoder: '{other}' is not compact, teacher-stem or teacher-block."),
        },
    };

    private static StudentEncoder Fail(ArgumentResult result, string message)
    {
        result.AddError(message);
        return default;
    }

    /// <summary>The test split from <paramref name="directory"/>, or the shipped sample if it is the sample folder.</summary>
    public static LabeledImages LoadTest(string directory) => FashionMnist.Load(directory, DatasetSplit.Test);
}
