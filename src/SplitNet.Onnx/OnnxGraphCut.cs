using SplitNet.Onnx.Format;

namespace SplitNet.Onnx;

/// <summary>
/// Cuts an ONNX model at one tensor into two models: the head (the graph's inputs → that tensor)
/// and the tail (that tensor → the graph's outputs). Each keeps the nodes, initializers and
/// operator sets it needs, so either runs on its own; the head's output and the tail's input are
/// the cut tensor, with its recorded type. A cut must separate the graph: no later node may read
/// anything computed before it other than the cut tensor, or read the graph's inputs.
/// </summary>
public static class OnnxGraphCut
{
    public static (ModelProto Head, ModelProto Tail) Cut(OnnxModel model, string tensor)
    {
        var graph = model.Graph;
        if (model.Producer(tensor) is null)
        {
            var known = graph.Input.Any(i => i.Name == tensor) || model.HasInitializer(tensor);
            throw new ArgumentException(known
                ? $"{model.Path}: '{tensor}' is a graph input or a weight, not a tensor a node computes; cut at a node's output"
                : $"{model.Path}: no node computes a tensor '{tensor}'", nameof(tensor));
        }
        var type = graph.ValueInfo.Concat(graph.Output).FirstOrDefault(v => v.Name == tensor && v.Type?.TensorType is not null)
            ?? throw new ArgumentException($"{model.Path}: the type and shape of '{tensor}' are not recorded in the graph (value_info); run ONNX shape inference on the file first", nameof(tensor));

        var head = HeadNodes(model, tensor);
        var computedBefore = head.SelectMany(n => n.Output).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Select(i => i.Name).Where(name => !model.HasInitializer(name)).ToHashSet(StringComparer.Ordinal);
        var tail = graph.Node.Where(n => !head.Contains(n)).ToHashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        foreach (var node in tail)
        {
            foreach (var input in node.Input.Where(i => i.Length > 0 && i != tensor))
            {
                if (computedBefore.Contains(input) || inputs.Contains(input))
                {
                    throw new ArgumentException($"{model.Path}: a cut at '{tensor}' does not separate the graph: node '{Describe(node)}' after it also reads '{input}', " +
                        $"{(inputs.Contains(input) ? "a graph input" : "computed before the cut")}", nameof(tensor));
                }
            }
        }
        foreach (var output in graph.Output.Where(o => computedBefore.Contains(o.Name) && o.Name != tensor))
        {
            throw new ArgumentException($"{model.Path}: a cut at '{tensor}' does not separate the graph: the graph's output '{output.Name}' is computed before it", nameof(tensor));
        }

        var headModel = Part(model, head, [.. graph.Input.Where(i => inputs.Contains(i.Name))], [type], "head");
        var tailModel = Part(model, tail, [type], [.. graph.Output], "tail");
        return (headModel, tailModel);
    }

    /// <summary>Every node <paramref name="tensor"/> depends on, in graph order.</summary>
    private static HashSet<NodeProto> HeadNodes(OnnxModel model, string tensor)
    {
        var needed = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<string>([tensor]);
        while (pending.TryPop(out var name))
        {
            if (model.Producer(name) is { } node && needed.Add(node))
            {
                foreach (var input in node.Input.Where(i => i.Length > 0))
                {
                    pending.Push(input);
                }
            }
        }
        return needed;
    }

    private static ModelProto Part(OnnxModel model, HashSet<NodeProto> nodes, IEnumerable<ValueInfoProto> inputs, IEnumerable<ValueInfoProto> outputs, string part)
    {
        var read = nodes.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        var made = nodes.SelectMany(n => n.Output).ToHashSet(StringComparer.Ordinal);
        var graph = new GraphProto { Name = $"{model.Graph.Name}-{part}", DocString = model.Graph.DocString };
        // Graph order is kept: it is a topological order already.
        graph.Node.AddRange(model.Graph.Node.Where(nodes.Contains).Select(n => n.Clone()));
        graph.Initializer.AddRange(model.Graph.Initializer.Where(t => read.Contains(t.Name)).Select(t => t.Clone()));
        graph.Input.AddRange(inputs.Select(i => i.Clone()));
        graph.Output.AddRange(outputs.Select(o => o.Clone()));
        graph.ValueInfo.AddRange(model.Graph.ValueInfo.Where(v => made.Contains(v.Name) && graph.Output.All(o => o.Name != v.Name)).Select(v => v.Clone()));
        var proto = model.Proto.Clone();
        proto.Graph = graph;
        return proto;
    }

    private static string Describe(NodeProto node) => node.Name.Length > 0 ? $"{node.Name} ({node.OpType})" : $"{node.OpType} → {string.Join(", ", node.Output)}";
}
