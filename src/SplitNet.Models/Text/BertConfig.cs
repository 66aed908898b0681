namespace SplitNet.Models.Text;

/// <summary>The shape of a BERT-family encoder.</summary>
/// <param name="LayerNormEps">Hugging Face's BERT uses 1e-12.</param>
public sealed record BertConfig(
    int VocabSize = 30522,
    int Hidden = 384,
    int Layers = 6,
    int Heads = 12,
    int Intermediate = 1536,
    int MaxPositions = 512,
    int TypeVocabSize = 2,
    double LayerNormEps = 1e-12)
{
    /// <summary>all-MiniLM-L6-v2: 6 layers of 384 with 12 heads of 32, FFN 1536.</summary>
    public static BertConfig MiniLmL6 { get; } = new();

    public int HeadSize => Hidden / Heads;
}
