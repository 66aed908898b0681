using Google.Protobuf;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Onnx.Format;

namespace SplitNet.Onnx;

/// <summary>What <see cref="OnnxSplitImport.Import"/> needs beside the file: names, the cuts and the input's preprocessing.</summary>
/// <param name="ChannelOrder">"rgb" or "bgr": the order the model's input channels are in.</param>
/// <param name="Mean">Per input channel, on the 0–255 scale.</param>
public sealed record OnnxImportOptions(string ModelId, IReadOnlyList<string> Cuts, string ChannelOrder, float[] Mean, float Scale,
    OutputKind Output = OutputKind.Embedding, IReadOnlyList<string>? Labels = null);

/// <summary>
/// Brings one's own ONNX model: cuts it at each named tensor into a head (edge) and a tail (server),
/// with a dynamic batch dimension, and writes an edge and a server bundle with an
/// <see cref="OnnxSplitManifest"/>. Errors name the file and the tensor.
/// </summary>
public static class OnnxSplitImport
{
    public static OnnxSplitManifest Import(string modelPath, OnnxImportOptions options, string edgeDirectory, string serverDirectory)
    {
        var model = OnnxModel.Load(modelPath);
        var input = SingleInput(model);
        var inputShape = FixedShape(model.Path, input, "the model's input");
        if (inputShape.Length != 3 || inputShape[0] != 3 || options.Mean.Length != 3)
        {
            throw new InvalidDataException($"{model.Path}: input '{input.Name}' is [{string.Join(", ", inputShape)}] per image; an image model reads (N, 3, H, W) and takes 3 channel means.");
        }
        if (options.ChannelOrder is not ("rgb" or "bgr"))
        {
            throw new ArgumentException($"channel order '{options.ChannelOrder}' is neither rgb nor bgr", nameof(options));
        }
        if (model.Graph.Output.Count != 1)
        {
            throw new InvalidDataException($"{model.Path}: {model.Graph.Output.Count} graph outputs; an imported split answers with one.");
        }
        var outputShape = FixedShape(model.Path, model.Graph.Output[0], "the model's output");
        Directory.CreateDirectory(edgeDirectory);
        Directory.CreateDirectory(serverDirectory);
        var cuts = new List<OnnxCut>();
        foreach (var (tensor, id) in options.Cuts.Select((t, i) => (t, i)))
        {
            var (head, tail) = OnnxGraphCut.Cut(model, tensor);
            var shape = FixedShape(model.Path, head.Graph.Output[0], $"the cut tensor '{tensor}'");
            string headFile = $"cut{id}.head.onnx", tailFile = $"cut{id}.tail.onnx";
            var headPart = Save(BatchDynamic(head), Path.Combine(edgeDirectory, headFile));
            var tailPart = Save(BatchDynamic(tail), Path.Combine(serverDirectory, tailFile));
            cuts.Add(new OnnxCut(id, tensor, shape, OnnxCost.Macs(head), headPart, tailPart));
        }
        var manifest = new OnnxSplitManifest
        {
            ModelId = options.ModelId,
            Source = new OnnxPartFile(Path.GetFileName(modelPath), BundleJson.Sha256(modelPath)),
            Input = new ImagePreprocessing(input.Name, inputShape[1], inputShape[2], options.ChannelOrder, options.Mean, options.Scale),
            Output = options.Output,
            OutputSize = outputShape.Aggregate(1, (a, d) => a * d),
            // Probabilities need class names to be answered with; without any, the class ids name them.
            Labels = options.Labels ?? (options.Output.HasFlag(OutputKind.Probabilities)
                ? [.. Enumerable.Range(0, outputShape.Aggregate(1, (a, d) => a * d)).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))]
                : []),
            Cuts = cuts,
        };
        BundleJson.Write(Path.Combine(edgeDirectory, SplitModelBundle.ManifestFile), manifest);
        BundleJson.Write(Path.Combine(serverDirectory, SplitModelBundle.ManifestFile), manifest);
        return manifest;
    }

    private static ValueInfoProto SingleInput(OnnxModel model)
    {
        var inputs = model.Graph.Input.Where(i => !model.HasInitializer(i.Name)).ToList();
        return inputs.Count == 1 ? inputs[0]
            : throw new InvalidDataException($"{model.Path}: {inputs.Count} graph inputs ({string.Join(", ", inputs.Select(i => i.Name))}); an imported image model reads one.");
    }

    /// <summary>The shape per input (the batch axis dropped); every other axis must be a known number.</summary>
    private static int[] FixedShape(string path, ValueInfoProto value, string what)
    {
        var dims = value.Type?.TensorType?.Shape?.Dim ?? throw new InvalidDataException($"{path}: {what} '{value.Name}' has no recorded shape.");
        var unresolved = dims.Skip(1).Select((d, i) => (d, i: i + 1)).Where(x => x.d.DimValue <= 0).ToList();
        if (dims.Count < 2 || unresolved.Count > 0)
        {
            throw new InvalidDataException($"{path}: {what} '{value.Name}' has a dynamic shape [{string.Join(", ", dims.Select(d => d.DimValue > 0 ? d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture) : d.DimParam.Length > 0 ? d.DimParam : "?"))}] "
                + $"that cannot be resolved (axis {string.Join(", ", unresolved.Select(x => x.i))}); fix the model's input size and run ONNX shape inference first.");
        }
        return [.. dims.Skip(1).Select(d => checked((int)d.DimValue))];
    }

    /// <summary>The part with its batch axis named N wherever it was fixed at 1, so a server can batch frames.</summary>
    private static ModelProto BatchDynamic(ModelProto part)
    {
        foreach (var value in part.Graph.Input.Concat(part.Graph.Output).Concat(part.Graph.ValueInfo))
        {
            if (value.Type?.TensorType?.Shape?.Dim is { Count: > 0 } dims && dims[0].DimValue == 1)
            {
                dims[0] = new TensorShapeProto.Types.Dimension { DimParam = "N" };
            }
        }
        return part;
    }

    private static OnnxPartFile Save(ModelProto part, string path)
    {
        using (var stream = File.Create(path))
        {
            part.WriteTo(stream);
        }
        return new OnnxPartFile(Path.GetFileName(path), BundleJson.Sha256(path));
    }
}
