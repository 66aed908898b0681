using Google.Protobuf;
using SplitNet.Onnx.Format;

namespace SplitNet.Onnx;

/// <summary>
/// An ONNX model file, parsed: its graph's nodes, initializers and the producer and consumers of
/// every tensor. Errors name the file and what is wrong with it.
/// </summary>
public sealed class OnnxModel
{
    private readonly Dictionary<string, TensorProto> _initializers;
    private readonly Dictionary<string, NodeProto> _producers = [];
    private readonly Dictionary<string, List<NodeProto>> _consumers = [];

    private OnnxModel(string path, ModelProto model)
    {
        Path = path;
        Proto = model;
        _initializers = model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var node in model.Graph.Node)
        {
            foreach (var output in node.Output)
            {
                _producers[output] = node;
            }
            foreach (var input in node.Input)
            {
                if (!_consumers.TryGetValue(input, out var list))
                {
                    _consumers[input] = list = [];
                }
                list.Add(node);
            }
        }
    }

    /// <summary>The file the model was read from, for messages.</summary>
    public string Path { get; }

    public ModelProto Proto { get; }
    public GraphProto Graph => Proto.Graph;

    /// <summary>The version of the default (ai.onnx) operator set the model uses.</summary>
    public long Opset => Proto.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 0;

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model.</exception>
    public static OnnxModel Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such ONNX model file", path);
        }
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{path}: not an ONNX model (it does not parse as one: {e.Message})", e);
        }
        // Protobuf parses many byte strings as some message; an ONNX model has these for sure.
        if (model.IrVersion <= 0 || model.Graph is null || model.Graph.Node.Count == 0 || model.OpsetImport.Count == 0)
        {
            throw new InvalidDataException($"{path}: not an ONNX model (no IR version, operator set or graph nodes)");
        }
        return new OnnxModel(path, model);
    }

    /// <summary>Whether the graph has an initializer of that name.</summary>
    public bool HasInitializer(string name) => _initializers.ContainsKey(name);

    /// <summary>The initializer <paramref name="name"/> as float32 values.</summary>
    /// <exception cref="InvalidDataException">It is missing, not float32, or its data does not fill its shape.</exception>
    public OnnxTensor Initializer(string name) =>
        _initializers.TryGetValue(name, out var tensor)
            ? OnnxTensor.FromProto(tensor, Path)
            : throw new InvalidDataException($"{Path}: the model has no initializer '{name}'");

    /// <summary>The node whose output is <paramref name="tensor"/>, or null for graph inputs and initializers.</summary>
    public NodeProto? Producer(string tensor) => _producers.GetValueOrDefault(tensor);

    /// <summary>The nodes that read <paramref name="tensor"/>.</summary>
    public IReadOnlyList<NodeProto> Consumers(string tensor) => _consumers.TryGetValue(tensor, out var list) ? list : [];
}
