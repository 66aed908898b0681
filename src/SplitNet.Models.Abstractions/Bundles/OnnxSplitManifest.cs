using SplitNet.Models.Split;

namespace SplitNet.Models.Bundles;

/// <summary>
/// The manifest of an imported ONNX model cut into edge and server parts, sent with a naive
/// feature codec (float16, or 8-bit affine + LZ4): no training, no entropy model. The edge bundle
/// holds every cut's head, the server bundle every cut's tail; both hold this manifest.
/// </summary>
public sealed record OnnxSplitManifest
{
    public const string CurrentFormat = "splitnet.onnx-split/1";

    public string Format { get; init; } = CurrentFormat;
    public required string ModelId { get; init; }
    public int Version { get; init; } = 1;

    /// <summary>The imported file's name and SHA-256.</summary>
    public required OnnxPartFile Source { get; init; }

    /// <summary>How an 8-bit photo becomes the model's input tensor.</summary>
    public required ImagePreprocessing Input { get; init; }

    /// <summary>What the tails answer with: an embedding (the model's output, flattened) or class probabilities (its softmax).</summary>
    public OutputKind Output { get; init; } = OutputKind.Embedding;

    /// <summary>Floats the model's output holds per input.</summary>
    public int OutputSize { get; init; }

    /// <summary>Class names when <see cref="Output"/> is probabilities; empty otherwise.</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>The cuts, by split point id (the id feature payloads carry).</summary>
    public required IReadOnlyList<OnnxCut> Cuts { get; init; }
}

/// <summary>Input tensor (1, 3, H, W) from an H×W RGB photo: channels in <see cref="ChannelOrder"/>, (pixel − mean) × scale.</summary>
/// <param name="Name">The graph's input tensor.</param>
/// <param name="ChannelOrder">"rgb" or "bgr".</param>
/// <param name="Mean">Per channel, in <see cref="ChannelOrder"/>, on the 0–255 scale.</param>
public sealed record ImagePreprocessing(string Name, int Height, int Width, string ChannelOrder, float[] Mean, float Scale);

/// <summary>One cut: the tensor it is made at, that tensor's shape per input, the edge's MACs per input and the two parts.</summary>
public sealed record OnnxCut(int Id, string Tensor, int[] Shape, long EdgeMacs, OnnxPartFile Head, OnnxPartFile Tail);
