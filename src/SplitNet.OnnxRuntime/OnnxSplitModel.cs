using Microsoft.ML.OnnxRuntime;
using SplitNet.Codec;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;

namespace SplitNet.OnnxRuntime;

/// <summary>
/// One side of an imported ONNX split (<see cref="OnnxSplitManifest"/>): every cut's head on the
/// edge, or every cut's tail on the server, as ONNX Runtime sessions. Each file's SHA-256 is
/// checked against the manifest; on any failure what was opened is disposed and the error names the file.
/// </summary>
public sealed class OnnxSplitModel : IDisposable
{
    private OnnxSplitModel(OnnxSplitManifest manifest, string directory, IReadOnlyList<IFeatureEdgePart> heads, IReadOnlyList<IServerPart> tails)
    {
        Manifest = manifest;
        Directory = directory;
        Heads = heads;
        Tails = tails;
    }

    public OnnxSplitManifest Manifest { get; }
    public string Directory { get; }

    /// <summary>The edge parts by cut id (edge bundles).</summary>
    public IReadOnlyList<IFeatureEdgePart> Heads { get; }

    /// <summary>The server parts by cut id (server bundles).</summary>
    public IReadOnlyList<IServerPart> Tails { get; }

    /// <summary>The split points, by cut id, as feature payloads carry them.</summary>
    public IReadOnlyList<FeatureSplitPoint> SplitPoints => [.. Manifest.Cuts.Select(c => new FeatureSplitPoint((byte)c.Id, c.Tensor, new LatentShape(c.Shape)))];

    public static OnnxSplitModel Load(string directory, BundleSide side, OnnxRuntimeOptions options)
    {
        var manifest = BundleJson.ReadManifest<OnnxSplitManifest>(directory, OnnxSplitManifest.CurrentFormat, m => m.Format, out var manifestPath);
        if (manifest.Cuts.Count == 0 || manifest.Cuts.Count > byte.MaxValue || manifest.Cuts.Where((c, i) => c.Id != i).Any())
        {
            throw new InvalidDataException($"{manifestPath}: cuts must be numbered 0..{manifest.Cuts.Count - 1} in order (at most 255).");
        }
        var opened = new List<IDisposable>();
        try
        {
            var heads = new List<IFeatureEdgePart>();
            var tails = new List<IServerPart>();
            foreach (var cut in manifest.Cuts)
            {
                var part = side == BundleSide.Edge ? cut.Head : cut.Tail;
                var path = Path.Combine(directory, part.File);
                BundleJson.VerifySha256(path, part.Sha256, manifestPath);
                var session = OnnxSessions.Create(path, options);
                opened.Add(session);
                var point = new FeatureSplitPoint((byte)cut.Id, cut.Tensor, new LatentShape(cut.Shape));
                if (side == BundleSide.Edge)
                {
                    heads.Add(new OnnxFeatureEdgePart(session, path, manifest, point));
                }
                else
                {
                    tails.Add(new OnnxFeatureTailPart(session, path, manifest, point));
                }
            }
            return new OnnxSplitModel(manifest, directory, heads, tails);
        }
        catch
        {
            opened.ForEach(o => o.Dispose());
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var part in Heads.OfType<IDisposable>().Concat(Tails))
        {
            part.Dispose();
        }
    }
}

/// <summary>An imported model's head: an H×W RGB photo (8-bit, interleaved) → the feature at the cut.</summary>
internal sealed class OnnxFeatureEdgePart : IFeatureEdgePart, IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly ImagePreprocessing _input;
    private readonly string _output;

    public OnnxFeatureEdgePart(InferenceSession session, string path, OnnxSplitManifest manifest, FeatureSplitPoint point)
    {
        _session = session;
        _input = manifest.Input;
        _output = point.Name;
        ModelId = manifest.ModelId;
        Point = point;
        OnnxGraphContract.Require(session, path, [_input.Name], [_output]);
    }

    public string ModelId { get; }
    public FeatureSplitPoint Point { get; }

    public float[] Features(SplitInput input)
    {
        input.Expect(InputKind.Image);
        var data = ImageInput.Tensor(input.Pixels, _input, ModelId);
        using var value = OrtValue.CreateTensorValueFromMemory(data, [1, 3, _input.Height, _input.Width]);
        using var outputs = _session.Run(_run, [_input.Name], [value], [_output]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose()
    {
        _run.Dispose();
        _session.Dispose();
    }
}

/// <summary>An imported model's tail: a batch of features at the cut → its output (an embedding, or softmax probabilities).</summary>
internal sealed class OnnxFeatureTailPart : IServerPart
{
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly string _input, _output;
    private readonly long[] _shape;
    private readonly int _size;

    public OnnxFeatureTailPart(InferenceSession session, string path, OnnxSplitManifest manifest, FeatureSplitPoint point)
    {
        _session = session;
        _input = point.Name;
        _output = session.OutputMetadata.Keys.Single();
        _shape = [.. point.Feature.Dimensions.Select(d => (long)d)];
        _size = manifest.OutputSize;
        Latent = point.Feature;
        Output = manifest.Output;
        Classes = manifest.Output.HasFlag(OutputKind.Probabilities) ? manifest.OutputSize : 0;
        EmbeddingSize = manifest.Output.HasFlag(OutputKind.Embedding) ? manifest.OutputSize : 0;
        OnnxGraphContract.Require(session, path, [_input], [_output]);
    }

    public LatentShape Latent { get; }
    public OutputKind Output { get; }
    public int Classes { get; }
    public int EmbeddingSize { get; }

    public SplitOutput Run(ReadOnlySpan<float> yHat, ReadOnlySpan<int> lengths, int paddedLength)
    {
        int n = lengths.Length;
        using var value = OrtValue.CreateTensorValueFromMemory(yHat.ToArray(), [n, .. _shape]);
        using var outputs = _session.Run(_run, [_input], [value], [_output]);
        var values = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        if (values.Length != n * _size)
        {
            throw new InvalidOperationException($"the tail gave {values.Length} values for {n} frames, not {_size} each.");
        }
        if (Output == OutputKind.Embedding)
        {
            return new SplitOutput(null, values);
        }
        for (int i = 0; i < n; i++)
        {
            var row = values.AsSpan(i * _size, _size);
            System.Numerics.Tensors.TensorPrimitives.SoftMax(row, row);
        }
        return new SplitOutput(values, null);
    }

    public void Dispose()
    {
        _run.Dispose();
        _session.Dispose();
    }
}

/// <summary>An imported image model's input tensor from a photo, as <see cref="ImagePreprocessing"/> says.</summary>
public static class ImageInput
{
    /// <summary>(3, H, W) planar floats from H×W interleaved 8-bit RGB: channels reordered, (pixel − mean) × scale.</summary>
    /// <exception cref="ArgumentException">The photo is not H×W RGB.</exception>
    public static float[] Tensor(ReadOnlySpan<byte> rgb, ImagePreprocessing input, string modelId)
    {
        int plane = input.Height * input.Width;
        if (rgb.Length != plane * 3)
        {
            throw new ArgumentException($"{rgb.Length} bytes, but '{modelId}' reads {input.Width}×{input.Height} RGB photos ({plane * 3} bytes).", nameof(rgb));
        }
        var data = new float[plane * 3];
        bool bgr = input.ChannelOrder == "bgr";
        for (int c = 0; c < 3; c++)
        {
            int source = bgr ? 2 - c : c;
            float mean = input.Mean[c], scale = input.Scale;
            var channel = data.AsSpan(c * plane, plane);
            for (int i = 0; i < plane; i++)
            {
                channel[i] = (rgb[i * 3 + source] - mean) * scale;
            }
        }
        return data;
    }
}
