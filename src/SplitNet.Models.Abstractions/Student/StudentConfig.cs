using SplitNet.Codec;

namespace SplitNet.Models.Student;

/// <summary>Shape of an Entropic Student for the 28x28 teacher, split after stage 2 (64x14x14).</summary>
/// <param name="LatentChannels">N: channels of the coded latent (7x7 grid).</param>
/// <param name="EncoderWidth">Channels of the encoder's hidden layers.</param>
/// <param name="DecoderWidth">Channels of the decoder's hidden layers.</param>
/// <param name="Encoder">Layout of <c>g_a</c>.</param>
public sealed record StudentConfig(int LatentChannels = 16, int EncoderWidth = 48, int DecoderWidth = 64, StudentEncoder Encoder = StudentEncoder.Compact)
{
    /// <summary>Latent grid: 28 → 14 → 7 through two stride-2 convolutions.</summary>
    public const int LatentSize = 7;

    /// <summary>The latent: N channels on the 7×7 grid.</summary>
    public LatentShape Latent => new([LatentChannels, LatentSize, LatentSize]);
}

/// <summary>Layout of the student's encoder <c>g_a</c>.</summary>
public enum StudentEncoder
{
    /// <summary>The paper's: conv5x5/2 → GDN1 → conv5x5/2 → GDN1 → conv3x3 → N, trained from scratch.</summary>
    Compact,

    /// <summary>
    /// The teacher's own stem and stage 1 (copied and frozen), then conv3x3/2 → GDN1 → conv3x3/2 → N:
    /// the edge keeps the teacher's first features and learns only the compressing layers.
    /// </summary>
    TeacherStem,

    /// <summary>
    /// As <see cref="TeacherStem"/> but also the first block of the teacher's stage 2 (frozen), then
    /// conv3x3/2 → GDN1 → conv3x3 → N: a deeper, more semantic feature to compress.
    /// </summary>
    TeacherBlock,

    /// <summary>
    /// A light edge from MobileNetV2's inverted residuals, trained from scratch: conv3x3/2 → e,
    /// IR(e, t 4), IR(e → 1.5e, t 4, /2), 2 × IR(1.5e, t 4), conv1x1 → N: about 5 M MACs at
    /// e = 32, a sixteenth of the teacher.
    /// </summary>
    Mobile,
}
