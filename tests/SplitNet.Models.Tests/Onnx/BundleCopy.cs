using SplitNet.Models.Bundles;

namespace SplitNet.Models.Tests.Onnx;

/// <summary>
/// A shipped split model's two bundles copied to a temporary folder as they were before any export
/// (no .onnx files, no exports in the manifests), so an export never writes into the shipped assets.
/// </summary>
internal sealed class BundleCopy : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("splitnet-onnx-export-").FullName;

    public BundleCopy(string model)
    {
        Source = model;
        foreach (var side in new[] { BundleSide.Edge, BundleSide.Server })
        {
            var target = Directory.CreateDirectory(SplitModelBundle.SideDirectory(_root, side)).FullName;
            foreach (var file in Directory.GetFiles(SplitModelBundle.SideDirectory(model, side)).Where(f => !f.EndsWith(".onnx", StringComparison.Ordinal)))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
            var path = Path.Combine(target, SplitModelBundle.ManifestFile);
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
            foreach (var level in json["levels"]!.AsArray())
            {
                level!.AsObject().Remove("edge_onnx");
                level.AsObject().Remove("server_onnx");
            }
            File.WriteAllText(path, json.ToJsonString(BundleJson.Options) + "\n");
        }
    }

    public string Source { get; }

    /// <summary>The manifest text of one side as copied, before an export.</summary>
    public string Manifest(BundleSide side) => File.ReadAllText(Path.Combine(SplitModelBundle.SideDirectory(_root, side), SplitModelBundle.ManifestFile));
    public string Edge => SplitModelBundle.SideDirectory(_root, BundleSide.Edge);
    public string Server => SplitModelBundle.SideDirectory(_root, BundleSide.Server);

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
