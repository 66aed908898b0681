using System.CommandLine;
using SplitNet.Models.Analysis;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet bench cost</c>.</summary>
internal sealed record BenchCostSettings(int LatentChannels, int EncoderWidth, StudentEncoder Encoder, bool Json);

/// <summary><c>splitnet bench cost</c>: parameters and MACs of the teacher's parts and of a student.</summary>
internal static class BenchCostCommand
{
    public static Command Create()
    {
        var channels = new Option<int>("--latent-channels") { DefaultValueFactory = _ => new StudentConfig().LatentChannels };
        var width = new Option<int>("--encoder-width") { DefaultValueFactory = _ => new StudentConfig().EncoderWidth };
        var encoder = CommonOptions.Encoder();
        var json = CommonOptions.Json();
        var command = new Command("cost", "Parameters and MACs per image of the teacher's parts and of the student's encoder and decoder.")
        {
            channels, width, encoder, json,
        };
        command.SetAction(result => Run(new BenchCostSettings(result.GetValue(channels), result.GetValue(width), result.GetValue(encoder), result.GetValue(json))));
        return command;
    }

    private static int Run(BenchCostSettings settings)
    {
        using var teacher = new TeacherNet(TeacherConfig.Default);
        using var student = new EntropicStudent(new StudentConfig(settings.LatentChannels, settings.EncoderWidth, Encoder: settings.Encoder), TeacherConfig.Default);
        var n = student.Config.LatentChannels;
        var stage2 = FeatureSplit.Point(teacher.Config, "stage2");
        var rows = new (string Part, ModelCost Cost)[]
        {
            ("teacher", ModelCost.Measure(teacher, 1, 1, 28, 28)),
            ("teacher stem..stage2 (replaced by the encoder)", ModelCost.Measure(teacher, x => FeatureSplit.RunHead(teacher, stage2, x), 1, 1, 28, 28)),
            ("teacher stage3..head (the tail)", ModelCost.Measure(teacher, x => FeatureSplit.RunTail(teacher, stage2, x), 1, stage2.Feature.Dimensions[0], stage2.Feature.Dimensions[1], stage2.Feature.Dimensions[2])),
            ("student encoder g_a", ModelCost.Measure(student.Encoder, 1, 1, 28, 28)),
            ("student decoder g_s", ModelCost.Measure(student.Decoder, 1, n, StudentConfig.LatentSize, StudentConfig.LatentSize)),
        };
        if (settings.Json)
        {
            JsonOutput.Write(new { rows = rows.Select(r => new { part = r.Part, parameters = r.Cost.Parameters, macs = r.Cost.Macs }) });
            return 0;
        }
        foreach (var (part, cost) in rows)
        {
            Console.WriteLine($"{part,-48} {cost.Parameters,10:N0} parameters {cost.Macs / 1e6,8:F2} M MACs");
        }
        return 0;
    }
}
