namespace SplitNet.Models.Split;

/// <summary>
/// The tensor names exported parts agree on, for whoever writes them and whoever runs them. Edge:
/// <see cref="Pixels"/> float (N, C, H, W) on 0–255, or <see cref="InputIds"/> int64 (N, S) →
/// <see cref="Symbols"/> int32 (N, …latent). Server: <see cref="YHat"/> float (N, …latent) and,
/// for a variable latent, <see cref="AttentionMask"/> float (N, S) → <see cref="Probabilities"/>
/// and/or <see cref="Embeddings"/>.
/// </summary>
public static class PartTensors
{
    public const string Pixels = "pixels";
    public const string InputIds = "input_ids";
    public const string Symbols = "symbols";
    public const string YHat = "y_hat";
    public const string AttentionMask = "attention_mask";
    public const string Probabilities = "probabilities";
    public const string Embeddings = "embeddings";
}
