using SplitNet.Models.Bundles;

namespace SplitNet.Models.Split;

/// <summary>
/// A variable-rate split model's settings, kept in its manifest's <c>config</c>: the channels of
/// each rung, lowest first. Level k codes the first <c>Channels[k]</c> latent channels, the prefix
/// of the top level's embedded stream (<see cref="Codec.Entropy.EntropyModel.AtRung"/>).
/// </summary>
public sealed record LadderConfig(int[] Channels)
{
    /// <summary>The family of such models (one Entropic Student for every rung).</summary>
    public const string Family = "entropic-student-ladder";

    /// <summary>The ladder of a manifest of <see cref="Family"/>, checked against its levels; null for any other family.</summary>
    public static int[]? Of(SplitModelManifest manifest, string manifestPath)
    {
        if (manifest.Family != Family)
        {
            return null;
        }
        var channels = manifest.ReadConfig<LadderConfig>().Channels;
        if (channels.Length != manifest.Levels.Count)
        {
            throw new InvalidDataException($"{manifestPath}: '{manifest.ModelId}' has {manifest.Levels.Count} levels for a ladder of {channels.Length} rungs.");
        }
        return channels;
    }
}
