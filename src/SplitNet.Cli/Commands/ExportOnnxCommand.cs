using System.CommandLine;
using SplitNet.Models.Bundles;
using SplitNet.Models.Export;

namespace SplitNet.Cli.Commands;

/// <summary><c>splitnet export onnx</c>: every level's edge and server parts as ONNX files in their bundles, recorded in both manifests.</summary>
internal static class ExportOnnxCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "Split-model folder holding edge/ and server/ bundles (default: the shipped vision model).",
            DefaultValueFactory = _ => CommonOptions.DefaultEntropic,
        };
        var json = CommonOptions.Json();
        var command = new Command("onnx", "Export every level's edge part (input → integer symbols) and server part (ŷ → outputs) as ONNX for the ONNX Runtime backend; records file and SHA-256 in both manifests.")
        {
            model, json,
        };
        command.SetAction(result =>
        {
            var folder = result.GetValue(model)!;
            string edge = SplitModelBundle.SideDirectory(folder, BundleSide.Edge), server = SplitModelBundle.SideDirectory(folder, BundleSide.Server);
            var levels = SplitModelOnnxExport.Export(edge, server);
            if (result.GetValue(json))
            {
                JsonOutput.Write(new
                {
                    model = folder,
                    levels = levels.Select(l => new
                    {
                        level = l.Level,
                        edge = l.EdgeOnnx!.File,
                        edge_bytes = new FileInfo(Path.Combine(edge, l.EdgeOnnx.File)).Length,
                        server = l.ServerOnnx!.File,
                        server_bytes = new FileInfo(Path.Combine(server, l.ServerOnnx.File)).Length,
                    }),
                });
                return 0;
            }
            foreach (var level in levels)
            {
                Console.WriteLine($"level {level.Level}: {Path.Combine(edge, level.EdgeOnnx!.File)} ({new FileInfo(Path.Combine(edge, level.EdgeOnnx.File)).Length / 1024.0:F0} KiB), "
                    + $"{Path.Combine(server, level.ServerOnnx!.File)} ({new FileInfo(Path.Combine(server, level.ServerOnnx.File)).Length / 1024.0:F0} KiB)");
            }
            return 0;
        });
        return command;
    }
}
