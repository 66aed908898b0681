using SplitNet.Models.Bundles;

namespace SplitNet.Models.Tests.Onnx;

/// <summary>A shipped split model's two bundles copied to a temporary folder, so an export never writes into the shipped assets.</summary>
internal sealed class BundleCopy : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("splitnet-onnx-export-").FullName;

    public BundleCopy(string model)
    {
        Source = model;
        foreach (var side in new[] { BundleSide.Edge, BundleSide.Server })
        {
            var target = Directory.CreateDirectory(SplitModelBundle.SideDirectory(_root, side)).FullName;
            foreach (var file in Directory.GetFiles(SplitModelBundle.SideDirectory(model, side)))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }
    }

    public string Source { get; }
    public string Edge => SplitModelBundle.SideDirectory(_root, BundleSide.Edge);
    public string Server => SplitModelBundle.SideDirectory(_root, BundleSide.Server);

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
