using static TorchSharp.torch;

namespace SplitNet.Training.Text;

/// <summary>One step's sentences: token ids padded with [PAD] (0) to the longest, and the 0/1 mask.</summary>
/// <param name="Ids">Token ids (B, S), int64.</param>
/// <param name="Mask">1 for tokens, 0 for padding (B, S), float32.</param>
public sealed record TextBatch(Tensor Ids, Tensor Mask, ReadOnlyMemory<int> Indices);

/// <summary>Tokenized sentences, batched at the length of the longest in each step.</summary>
public sealed class TextTrainingData(IReadOnlyList<long[]> sentences) : ITrainingData<TextBatch>
{
    public int Count => sentences.Count;

    public TextBatch Batch(ReadOnlyMemory<int> indices, Random random) => Pad(indices, sentences);

    /// <summary>Pads the sentences at <paramref name="indices"/> into one batch.</summary>
    public static TextBatch Pad(ReadOnlyMemory<int> indices, IReadOnlyList<long[]> sentences)
    {
        var span = indices.Span;
        int length = 0;
        foreach (int i in span)
        {
            length = Math.Max(length, sentences[i].Length);
        }
        var ids = new long[span.Length * length];
        var mask = new float[span.Length * length];
        for (int b = 0; b < span.Length; b++)
        {
            var sentence = sentences[span[b]];
            sentence.CopyTo(ids, b * length);
            Array.Fill(mask, 1f, b * length, sentence.Length);
        }
        return new TextBatch(tensor(ids, [span.Length, length]), tensor(mask, [span.Length, length]), indices);
    }
}
