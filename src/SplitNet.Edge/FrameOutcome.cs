using SplitNet.Edge.Resilience;

namespace SplitNet.Edge;

/// <summary>What happened to one captured frame.</summary>
/// <param name="Index">Capture index.</param>
/// <param name="Label">True class, or −1 when unknown.</param>
/// <param name="Answer">Its one outcome.</param>
/// <param name="PayloadBytes">Payload bytes sent (0 when answered on the edge).</param>
/// <param name="MessageBytes">Size of the protobuf request message sent (0 when answered on the edge).</param>
/// <param name="Level">The rate level it was coded at.</param>
/// <param name="Latency">From capture to answer.</param>
/// <param name="Captured">Seconds since the run started when the frame was captured.</param>
public sealed record FrameOutcome(long Index, int Label, EdgeAnswer Answer, int PayloadBytes, int MessageBytes, uint Level, TimeSpan Latency, double Captured);
