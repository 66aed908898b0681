using SplitNet.Models.Bundles;

namespace SplitNet.Models.Split;

/// <summary>
/// Builds the parts of one kind of split model from its bundle: the Entropic Student of the
/// Fashion-MNIST teacher is one family; a bring-your-own model is another. The manifest's
/// <see cref="SplitModelManifest.Family"/> picks the family.
/// </summary>
public interface ISplitModelFamily
{
    /// <summary>The manifest's <c>family</c> value this family loads.</summary>
    string Name { get; }

    /// <summary>Whether this family builds the parts of <paramref name="manifest"/>'s model: by default, when the manifest names it.</summary>
    bool Loads(SplitModelManifest manifest) => manifest.Family == Name;

    /// <summary>
    /// Loads one side of <paramref name="level"/> from <paramref name="weightsPath"/> (its SHA-256
    /// already checked). The caller checks the entropy model's hash against the manifest and
    /// disposes what it got if anything later fails.
    /// </summary>
    /// <exception cref="InvalidDataException">The weights do not fit the manifest; the message names the file.</exception>
    SplitLevel Load(SplitModelManifest manifest, RateLevelManifest level, BundleSide side, string weightsPath);
}
