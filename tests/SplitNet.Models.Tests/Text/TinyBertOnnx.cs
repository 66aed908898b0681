using Google.Protobuf;
using SplitNet.Models.Text;
using SplitNet.Onnx.Format;
using static TorchSharp.torch;

namespace SplitNet.Models.Tests.Text;

/// <summary>
/// Writes a <see cref="BertModel"/>'s weights as an exporter lays them out: embeddings, biases and
/// LayerNorms under their names, every weight matrix as an anonymous [in, out] initializer read by
/// a MatMul whose Add adds the named bias. Only the weights matter to the import, so the graph
/// holds just those MatMul → Add pairs.
/// </summary>
internal static class TinyBertOnnx
{
    public static BertConfig Config { get; } = new(VocabSize: 20, Hidden: 8, Layers: 2, Heads: 2, Intermediate: 16, MaxPositions: 12);

    public static void Write(BertModel model, string path, Func<string, bool>? keep = null)
    {
        var graph = new GraphProto { Name = "tiny-bert" };
        int anonymous = 900;
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (keep is not null && !keep(name))
            {
                continue;
            }
            bool matrix = name.EndsWith(".weight", StringComparison.Ordinal) && parameter.dim() == 2 && !name.StartsWith("embeddings.", StringComparison.Ordinal);
            if (!matrix)
            {
                graph.Initializer.Add(Tensor(name, parameter));
                continue;
            }
            string weight = $"{anonymous++}", product = $"{anonymous++}", layer = name[..^".weight".Length];
            using var transposed = parameter.detach().t().contiguous();
            graph.Initializer.Add(Tensor(weight, transposed));
            graph.Node.Add(new NodeProto { OpType = "MatMul", Input = { "x", weight }, Output = { product } });
            graph.Node.Add(new NodeProto { OpType = "Add", Input = { layer + ".bias", product }, Output = { $"{anonymous++}" } });
        }
        var proto = new ModelProto { IrVersion = 7, Graph = graph, OpsetImport = { new OperatorSetIdProto { Version = 13 } } };
        File.WriteAllBytes(path, proto.ToByteArray());
    }

    private static TensorProto Tensor(string name, Tensor values)
    {
        var data = values.detach().contiguous().data<float>().ToArray();
        var bytes = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(bytes) };
        proto.Dims.AddRange(values.shape);
        return proto;
    }
}
