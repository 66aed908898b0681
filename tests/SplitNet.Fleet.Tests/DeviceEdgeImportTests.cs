using System.Diagnostics;
using System.Text.Json;
using SplitNet.Onnx;

namespace SplitNet.Fleet.Tests;

/// <summary>The device edge app (<c>splitnet-edge</c>, no TorchSharp) runs an imported ONNX model's head on photos against a <c>splitnet serve</c> serving its tail.</summary>
public sealed class DeviceEdgeImportTests : IDisposable
{
    private const string Photos = "/usr/share/doc/opencv-doc/examples/data";
    private readonly string _root = Directory.CreateTempSubdirectory("splitnet-device-import-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task SplitnetEdge_ImportedResNetAfterLayer3_EveryPhotoAnsweredAtFloat16Size()
    {
        var resnet = Path.Combine(AppContext.BaseDirectory, "assets", "resnet18", "ResNet18.onnx");
        Assert.True(File.Exists(resnet), $"{resnet} is missing: it is restored from NuGet at build time");
        Assert.True(Directory.Exists(Photos), $"{Photos} is missing: apt-get install opencv-doc (.ci/run does)");
        string edge = Path.Combine(_root, "edge"), server = Path.Combine(_root, "server");
        OnnxSplitImport.Import(resnet, new OnnxImportOptions("resnet18", ["ReLU347_Output_0"], "bgr", [103.06f, 115.90f, 123.15f], 1), edge, server);
        using var replica = await ServeProcess.StartAsync(Fleet.Splitnet, ServeProcess.FreePort(), ["--model", server], CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2));
        var photos = Directory.CreateDirectory(Path.Combine(_root, "photos")).FullName;
        foreach (var photo in Directory.GetFiles(Photos, "*.jpg").Order(StringComparer.Ordinal).Take(6))
        {
            File.Copy(photo, Path.Combine(photos, Path.GetFileName(photo)));
        }

        var app = Path.Combine(Path.GetDirectoryName(Fleet.Splitnet)!.Replace("SplitNet.Cli", "SplitNet.EdgeApp", StringComparison.Ordinal), "splitnet-edge.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { app, "--server", replica.Url, "--model", edge, "--images", photos, "--codec", "float16", "--json" })
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

        Assert.True(process.ExitCode == 0, $"splitnet-edge exited with {process.ExitCode}: {await errors}");
        var report = JsonDocument.Parse(await output).RootElement;
        Assert.Equal(6, report.GetProperty("frames").GetInt32());
        Assert.Equal(0, report.GetProperty("failed").GetInt32());
        Assert.InRange(report.GetProperty("bytes_per_frame").GetDouble(), 256 * 14 * 14 * 2, 256 * 14 * 14 * 2 + 128);
    }
}
