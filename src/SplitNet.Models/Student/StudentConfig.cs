namespace SplitNet.Models.Student;

/// <summary>Shape of an Entropic Student for the 28x28 teacher, split after stage 2 (64x14x14).</summary>
/// <param name="LatentChannels">N: channels of the coded latent (7x7 grid).</param>
/// <param name="EncoderWidth">Channels of the encoder's hidden layers.</param>
/// <param name="DecoderWidth">Channels of the decoder's hidden layers.</param>
public sealed record StudentConfig(int LatentChannels = 16, int EncoderWidth = 48, int DecoderWidth = 64)
{
    /// <summary>Latent grid: 28 → 14 → 7 through two stride-2 convolutions.</summary>
    public const int LatentSize = 7;
}
