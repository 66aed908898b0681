using Microsoft.Extensions.Options;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.OnnxRuntime;

namespace SplitNet.Server.Serving;

/// <summary>What runs a split model's server parts: TorchSharp modules or ONNX Runtime sessions.</summary>
public enum ModelBackend
{
    /// <summary>ONNX Runtime where every level of the bundle has an ONNX export of its server part, else TorchSharp.</summary>
    Auto,

    /// <summary>The model's TorchSharp family (or a registered family of one's own).</summary>
    Torch,

    /// <summary>The bundle's ONNX exports in ONNX Runtime sessions (<see cref="SplitNetServerOptions.OnnxRuntime"/>).</summary>
    OnnxRuntime,
}

/// <summary>Chooses the backend of each split model from the options and builds it with the families that backend has.</summary>
internal sealed class ModelBackends(IEnumerable<ISplitModelFamily> families, IOptions<SplitNetServerOptions> options)
{
    private readonly ISplitModelFamily[] _families = [.. families];
    private readonly OnnxRuntimeFamily _onnx = new(options.Value.OnnxRuntime);

    /// <summary>Settings of every ONNX Runtime session the server opens.</summary>
    public OnnxRuntimeOptions OnnxRuntime => options.Value.OnnxRuntime;

    /// <summary>The backend <paramref name="manifest"/>'s model runs on (never <see cref="ModelBackend.Auto"/>).</summary>
    public ModelBackend Choose(SplitModelManifest manifest)
    {
        var backend = options.Value.Backends.TryGetValue(manifest.ModelId, out var chosen) ? chosen : options.Value.Backend;
        return backend != ModelBackend.Auto ? backend
            : manifest.Levels.All(l => l.ServerOnnx is not null) ? ModelBackend.OnnxRuntime
            : ModelBackend.Torch;
    }

    /// <summary>The families that may build <paramref name="manifest"/>'s server parts on its backend.</summary>
    public IReadOnlyList<ISplitModelFamily> For(SplitModelManifest manifest) =>
        Choose(manifest) == ModelBackend.OnnxRuntime ? [_onnx] : _families;
}
