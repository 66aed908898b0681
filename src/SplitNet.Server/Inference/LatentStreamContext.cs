using SplitNet.Server.Models;

namespace SplitNet.Server.Inference;

/// <summary>A latent stream's identity, checked once when it opened.</summary>
/// <param name="Model">The split model the stream's frames are for.</param>
/// <param name="Levels">Rate levels the edge declared (a prefix of the model's levels).</param>
/// <param name="TopK">Classes to return per frame.</param>
internal sealed record LatentStreamContext(ServedSplitModel Model, int Levels, int TopK);
