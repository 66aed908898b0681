using Microsoft.ML.OnnxRuntime;
using SplitNet.Models.Split;

namespace SplitNet.OnnxRuntime;

/// <summary>Checks a session against the tensor names exported parts agree on (<see cref="PartTensors"/>).</summary>
public static class OnnxGraphContract
{
    /// <summary>Throws unless <paramref name="session"/> has every input and output named; the message names the file.</summary>
    public static void Require(InferenceSession session, string path, IEnumerable<string> inputs, IEnumerable<string> outputs)
    {
        var missing = inputs.Where(i => !session.InputMetadata.ContainsKey(i)).Select(i => $"input '{i}'")
            .Concat(outputs.Where(o => !session.OutputMetadata.ContainsKey(o)).Select(o => $"output '{o}'"))
            .ToList();
        if (missing.Count > 0)
        {
            throw new InvalidDataException($"{path}: not an exported SplitNet part: no {string.Join(", ", missing)} "
                + $"(it has inputs {string.Join(", ", session.InputMetadata.Keys)}; outputs {string.Join(", ", session.OutputMetadata.Keys)}).");
        }
    }

    /// <summary>The outputs a server part answers with.</summary>
    public static IReadOnlyList<string> OutputsOf(OutputKind output) =>
        [.. new[] { (OutputKind.Probabilities, PartTensors.Probabilities), (OutputKind.Embedding, PartTensors.Embeddings) }.Where(o => output.HasFlag(o.Item1)).Select(o => o.Item2)];
}
