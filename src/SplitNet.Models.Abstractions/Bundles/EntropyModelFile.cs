using SplitNet.Codec.Entropy;

namespace SplitNet.Models.Bundles;

/// <summary>
/// The frozen entropy model a level's weights carry (<c>entropy_bottleneck.</c> quantiles, offsets,
/// quantized CDFs and their lengths), read without TorchSharp: what an ONNX Runtime edge or server
/// codes with, bit for bit the tables the TorchSharp parts rebuild.
/// </summary>
public static class EntropyModelFile
{
    private const string Prefix = "entropy_bottleneck.";

    /// <exception cref="InvalidDataException">The file holds no entropy model, or an inconsistent one; the message names the file.</exception>
    public static EntropyModel Read(string path, LatentStream format)
    {
        var entries = SafetensorsHeader.ReadEntries(path);
        var quantiles = SafetensorsHeader.ReadTensor<float>(path, entries, Prefix + "quantiles", "F32");
        var offsets = SafetensorsHeader.ReadTensor<int>(path, entries, Prefix + "_offset", "I32");
        var lengths = SafetensorsHeader.ReadTensor<int>(path, entries, Prefix + "_cdf_length", "I32");
        var flat = SafetensorsHeader.ReadTensor<int>(path, entries, Prefix + "_quantized_cdf", "I32");
        int channels = offsets.Length;
        if (channels == 0 || lengths.Length != channels || quantiles.Length != channels * 3 || flat.Length % channels != 0)
        {
            throw new InvalidDataException($"{path}: the entropy model's tensors do not agree on {channels} channels");
        }
        int stride = flat.Length / channels;
        var cdfs = new int[channels][];
        var medians = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            if (lengths[c] < 2 || lengths[c] > stride)
            {
                throw new InvalidDataException($"{path}: channel {c}'s CDF length {lengths[c]} does not fit its table of {stride}");
            }
            cdfs[c] = flat.AsSpan(c * stride, lengths[c]).ToArray();
            medians[c] = quantiles[c * 3 + 1];
        }
        try
        {
            return new EntropyModel(new CdfTable(cdfs, offsets), medians, format);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
