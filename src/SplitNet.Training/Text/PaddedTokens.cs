using static TorchSharp.torch;

namespace SplitNet.Training.Text;

/// <summary>Sentences' token ids padded with [PAD] (0) to the longest, and the 0/1 mask.</summary>
/// <param name="Ids">Token ids (B, S), int64.</param>
/// <param name="Mask">1 for tokens, 0 for padding (B, S), float32.</param>
public sealed record PaddedTokens(Tensor Ids, Tensor Mask)
{
    /// <summary>Pads the sentences at <paramref name="indices"/> into one batch.</summary>
    public static PaddedTokens Of(ReadOnlySpan<int> indices, IReadOnlyList<long[]> sentences)
    {
        int length = 0;
        foreach (int i in indices)
        {
            length = Math.Max(length, sentences[i].Length);
        }
        var ids = new long[indices.Length * length];
        var mask = new float[indices.Length * length];
        for (int b = 0; b < indices.Length; b++)
        {
            var sentence = sentences[indices[b]];
            sentence.CopyTo(ids, b * length);
            Array.Fill(mask, 1f, b * length, sentence.Length);
        }
        return new PaddedTokens(tensor(ids, [indices.Length, length]), tensor(mask, [indices.Length, length]));
    }
}
