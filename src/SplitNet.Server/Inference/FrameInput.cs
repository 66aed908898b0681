namespace SplitNet.Server.Inference;

/// <summary>What kind of payload a frame carries.</summary>
internal enum FrameKind
{
    /// <summary>A self-describing feature payload for a teacher (model id and split point in its header).</summary>
    Features,

    /// <summary>A bare entropy-coded latent of a split model at one rate level.</summary>
    Latent,
}

/// <summary>One frame as every protocol hands it to the <see cref="FrameProcessor"/>.</summary>
/// <param name="Kind">Feature payload or latent.</param>
/// <param name="ModelId">Model to run; for a feature payload null means "the one in the header".</param>
/// <param name="Version">Model version; 0 is the newest.</param>
/// <param name="Payload">The coded bytes.</param>
/// <param name="RateLevel">Rate level of a latent.</param>
/// <param name="TablesSha256">The CDF-table hash the sender coded a latent with; null skips the check.</param>
/// <param name="Deadline"><see cref="System.Diagnostics.Stopwatch"/> timestamp after which the frame is dropped.</param>
/// <param name="LatentLength">A latent's length along its model's variable axis; 0 for a fixed shape.</param>
internal readonly record struct FrameInput(
    FrameKind Kind,
    string? ModelId,
    long Version,
    ReadOnlyMemory<byte> Payload,
    int RateLevel,
    string? TablesSha256,
    long Deadline,
    int LatentLength = 0);

/// <summary>A frame's answer: its outputs (probabilities over the model's labels and/or an embedding), and the server time from arrival to answer.</summary>
internal sealed record FrameAnswer(FrameOutput Output, IReadOnlyList<string> Labels, string ModelId, int Version, TimeSpan Elapsed);
