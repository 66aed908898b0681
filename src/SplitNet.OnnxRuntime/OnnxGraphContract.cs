using Microsoft.ML.OnnxRuntime;
using SplitNet.Models.Split;

namespace SplitNet.OnnxRuntime;

/// <summary>
/// The tensor names exported parts agree on. Edge: <c>pixels</c> float (N, C, H, W) on 0–255, or
/// <c>input_ids</c> int64 (N, S) → <c>symbols</c> int32 (N, …latent). Server: <c>y_hat</c> float
/// (N, …latent) and, for a variable latent, <c>attention_mask</c> float (N, S) →
/// <c>probabilities</c> and/or <c>embeddings</c>.
/// </summary>
public static class OnnxGraphContract
{
    public const string Pixels = "pixels";
    public const string InputIds = "input_ids";
    public const string Symbols = "symbols";
    public const string YHat = "y_hat";
    public const string AttentionMask = "attention_mask";
    public const string Probabilities = "probabilities";
    public const string Embeddings = "embeddings";

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
        [.. new[] { (OutputKind.Probabilities, Probabilities), (OutputKind.Embedding, Embeddings) }.Where(o => output.HasFlag(o.Item1)).Select(o => o.Item2)];
}
