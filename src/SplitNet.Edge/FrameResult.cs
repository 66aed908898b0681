using SplitNet.Contracts.V1;

namespace SplitNet.Edge;

/// <summary>The outcome of one frame: the server's answer, or why there is none.</summary>
/// <param name="FrameId">The id the frame was sent with.</param>
/// <param name="Response">The answer (its <c>Error</c> is set when the server refused the frame).</param>
public sealed record FrameResult(ulong FrameId, InferResponse Response)
{
    public bool Succeeded => Response.Error is null && Response.Predictions.Count > 0;
    public int ClassId => Succeeded ? (int)Response.Predictions[0].ClassId : -1;
}
