namespace SplitNet.Models.Entropy;

/// <summary>How <see cref="EntropyBottleneck"/> turns a continuous latent into a discrete one.</summary>
public enum QuantizationMode
{
    /// <summary>Training: add U(−½, ½) noise, a differentiable stand-in for rounding.</summary>
    Noise,

    /// <summary>Evaluation: ŷ = round(y − median) + median.</summary>
    Dequantize,

    /// <summary>Coding: the integer symbols round(y − median).</summary>
    Symbols,
}
