using SplitNet.Onnx;
using static TorchSharp.torch;

namespace SplitNet.Models.Text;

/// <summary>
/// Loads a BERT-family encoder exported to ONNX into a <see cref="BertModel"/>. Embeddings,
/// biases and LayerNorms carry Hugging Face's names in such exports; the weight matrices are
/// anonymous and stored [in, out]. Each is found by tracing the graph: a MatMul whose weight is an
/// initializer feeds an Add whose other input is a named bias <c>X.bias</c>, so it is <c>X.weight</c>,
/// transposed to [out, in]. Never by the anonymous numbers, which change from export to export.
/// </summary>
public static class BertOnnxImport
{
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not ONNX, or a tensor the encoder needs is missing or has another shape (an
    /// unsupported architecture); the message names the file and the tensor.
    /// </exception>
    public static BertModel Load(string path, BertConfig config)
    {
        var onnx = OnnxModel.Load(path);
        var weights = Weights(onnx);
        var model = new BertModel(config);
        try
        {
            using var _ = no_grad();
            foreach (var (name, parameter) in model.named_parameters())
            {
                if (!weights.TryGetValue(name, out var weight))
                {
                    throw new InvalidDataException(
                        $"{path}: no tensor for '{name}' (traced from the graph's MatMul → Add pairs and named initializers): not a BERT encoder, or an export SplitNet cannot map");
                }
                if (!weight.Shape.SequenceEqual(parameter.shape))
                {
                    throw new InvalidDataException(
                        $"{path}: '{name}' is [{string.Join(", ", weight.Shape)}] but a {config.Layers}-layer, {config.Hidden}-wide encoder needs [{string.Join(", ", parameter.shape)}]");
                }
                using var values = tensor(weight.Values, weight.Shape);
                parameter.copy_(values);
            }
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return model;
    }

    /// <summary>Every float initializer by its name, plus each traced MatMul weight under its Hugging Face name, [out, in].</summary>
    internal static Dictionary<string, OnnxTensor> Weights(OnnxModel onnx)
    {
        var weights = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (var initializer in onnx.Graph.Initializer.Where(i => i.DataType == (int)Onnx.Format.TensorProto.Types.DataType.Float))
        {
            weights[initializer.Name] = onnx.Initializer(initializer.Name);
        }
        foreach (var matMul in onnx.Graph.Node.Where(n => n.OpType == "MatMul" && n.Input.Count == 2 && onnx.HasInitializer(n.Input[1])))
        {
            var bias = onnx.Consumers(matMul.Output[0])
                .Where(n => n.OpType == "Add")
                .SelectMany(n => n.Input)
                .FirstOrDefault(i => i.EndsWith(".bias", StringComparison.Ordinal) && onnx.HasInitializer(i));
            if (bias is null)
            {
                continue;
            }
            var weight = weights[matMul.Input[1]];
            weights[bias[..^".bias".Length] + ".weight"] = Transpose(weight);
        }
        return weights;
    }

    private static OnnxTensor Transpose(OnnxTensor weight)
    {
        if (weight.Shape.Length != 2)
        {
            return weight;
        }
        int rows = (int)weight.Shape[0], columns = (int)weight.Shape[1];
        var values = new float[weight.Values.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                values[c * rows + r] = weight.Values[r * columns + c];
            }
        }
        return weight with { Shape = [columns, rows], Values = values };
    }
}
