using SplitNet.Codec.Entropy;

namespace SplitNet.Models.Split;

/// <summary>
/// One rate level of one side of a split model: the entropy model both sides share, and the
/// part this side runs (<see cref="Edge"/> in an edge bundle, <see cref="Server"/> in a server bundle).
/// </summary>
public sealed record SplitLevel(int Level, EntropyModel Entropy, IEdgePart? Edge, IServerPart? Server) : IDisposable
{
    public void Dispose()
    {
        Edge?.Dispose();
        Server?.Dispose();
    }
}
