using SplitNet.Models.Split;

namespace SplitNet.Server.Services;

/// <summary>The names both protocols give inputs and outputs (documented in protos/README.md).</summary>
internal static class ProtocolNames
{
    public const string Probabilities = "probabilities";
    public const string Embedding = "embedding";

    public static string Input(InputKind kind) => kind == InputKind.Tokens ? "tokens" : "image";

    /// <summary>The outputs a model answers with, probabilities first.</summary>
    public static IEnumerable<string> Outputs(OutputKind kind)
    {
        if (kind.HasFlag(OutputKind.Probabilities))
        {
            yield return Probabilities;
        }
        if (kind.HasFlag(OutputKind.Embedding))
        {
            yield return Embedding;
        }
    }
}
