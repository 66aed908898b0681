namespace SplitNet.Server.Inference;

/// <summary>A latent stream's identity, checked when it opened and again per frame against the version then served.</summary>
/// <param name="ModelId">The split model the stream's frames are for (its newest version answers).</param>
/// <param name="TablesSha256">Table hashes the edge declared, by rate level (a prefix of the model's levels).</param>
/// <param name="TopK">Classes to return per frame.</param>
internal sealed record LatentStreamContext(string ModelId, IReadOnlyList<string> TablesSha256, int TopK);
