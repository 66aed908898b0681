using System.Buffers.Binary;
using Google.Protobuf;
using SplitNet.Onnx.Format;
using DataType = SplitNet.Onnx.Format.TensorProto.Types.DataType;

namespace SplitNet.Onnx;

/// <summary>
/// Writes an ONNX model one node at a time: weights as initializers, nodes of the default operator
/// set, graph inputs and outputs with symbolic or fixed dimensions. Every tensor gets a name no
/// other tensor has; <see cref="Build"/> checks that each node reads only tensors defined before it.
/// </summary>
public sealed class OnnxGraphBuilder(string graphName, long opset = 17, long irVersion = 8)
{
    private readonly GraphProto _graph = new() { Name = graphName };
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);

    /// <summary><paramref name="hint"/> if no tensor or node has that name yet, else the hint with the first free suffix.</summary>
    public string UniqueName(string hint)
    {
        if (_names.Add(hint))
        {
            return hint;
        }
        int next = _counters.GetValueOrDefault(hint, 1);
        string name;
        do
        {
            name = $"{hint}_{next++}";
        }
        while (!_names.Add(name));
        _counters[hint] = next;
        return name;
    }

    /// <summary>A float32 weight of shape <paramref name="dims"/>; returns its name.</summary>
    public string FloatInitializer(string name, ReadOnlySpan<float> values, params ReadOnlySpan<long> dims)
    {
        var bytes = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        }
        return AddInitializer(name, DataType.Float, bytes, values.Length, dims);
    }

    /// <summary>An int64 constant of shape <paramref name="dims"/> (shapes, axes, indices); returns its name.</summary>
    public string Int64Initializer(string name, ReadOnlySpan<long> values, params ReadOnlySpan<long> dims)
    {
        var bytes = new byte[8 * values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), values[i]);
        }
        return AddInitializer(name, DataType.Int64, bytes, values.Length, dims);
    }

    /// <summary>A graph input.</summary>
    public string Input(string name, DataType type, params ReadOnlySpan<OnnxDim> dims)
    {
        _graph.Input.Add(Value(Claim(name), type, dims));
        return name;
    }

    /// <summary>Declares the tensor <paramref name="name"/>, which a node computes, a graph output.</summary>
    public void Output(string name, DataType type, params ReadOnlySpan<OnnxDim> dims) => _graph.Output.Add(Value(name, type, dims));

    /// <summary>
    /// A node of <paramref name="opType"/> with one output, named <paramref name="output"/> (which
    /// must be free) or after the operator; an empty input name skips an optional input. Returns the output's name.
    /// </summary>
    public string Node(string opType, IReadOnlyList<string> inputs, IReadOnlyList<AttributeProto>? attributes = null, string? output = null)
    {
        var result = output is null ? UniqueName(opType) : Claim(output);
        var node = new NodeProto { OpType = opType, Name = result };
        node.Input.AddRange(inputs);
        node.Output.Add(result);
        if (attributes is not null)
        {
            node.Attribute.AddRange(attributes);
        }
        _graph.Node.Add(node);
        return result;
    }

    /// <exception cref="InvalidOperationException">A node reads a tensor nothing defines before it, or an output is not computed.</exception>
    public ModelProto Build()
    {
        var defined = _graph.Input.Select(i => i.Name).Concat(_graph.Initializer.Select(t => t.Name)).ToHashSet(StringComparer.Ordinal);
        foreach (var node in _graph.Node)
        {
            var missing = node.Input.FirstOrDefault(i => i.Length > 0 && !defined.Contains(i));
            if (missing is not null)
            {
                throw new InvalidOperationException($"graph '{_graph.Name}': node '{node.Name}' reads '{missing}', which no input, weight or earlier node defines");
            }
            defined.UnionWith(node.Output);
        }
        if (_graph.Output.Count == 0)
        {
            throw new InvalidOperationException($"graph '{_graph.Name}' has no outputs");
        }
        var unset = _graph.Output.FirstOrDefault(o => !defined.Contains(o.Name));
        if (unset is not null)
        {
            throw new InvalidOperationException($"graph '{_graph.Name}': no node computes its output '{unset.Name}'");
        }
        return new ModelProto
        {
            IrVersion = irVersion,
            ProducerName = "SplitNet",
            Graph = _graph.Clone(),
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = opset } },
        };
    }

    /// <summary>Builds the model and writes it to <paramref name="path"/>.</summary>
    public void Save(string path)
    {
        var model = Build();
        using var stream = File.Create(path);
        model.WriteTo(stream);
    }

    private string Claim(string name) =>
        _names.Add(name) ? name : throw new ArgumentException($"graph '{_graph.Name}' already has a tensor '{name}'", nameof(name));

    private string AddInitializer(string name, DataType type, byte[] data, int count, ReadOnlySpan<long> dims)
    {
        long expected = 1;
        foreach (var d in dims)
        {
            expected *= d;
        }
        if (expected != count)
        {
            throw new ArgumentException($"graph '{_graph.Name}': '{name}' has {count} values for a shape of [{string.Join(", ", dims.ToArray())}]", nameof(dims));
        }
        var tensor = new TensorProto { Name = UniqueName(name), DataType = (int)type, RawData = ByteString.CopyFrom(data) };
        foreach (var d in dims)
        {
            tensor.Dims.Add(d);
        }
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    private static ValueInfoProto Value(string name, DataType type, ReadOnlySpan<OnnxDim> dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d.ToProto());
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}
