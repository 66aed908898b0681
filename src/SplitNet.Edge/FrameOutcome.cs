namespace SplitNet.Edge;

/// <summary>What happened to one image of an edge run.</summary>
/// <param name="Index">Index of the image in the source.</param>
/// <param name="Label">True class of the image.</param>
/// <param name="Result">The server's answer.</param>
/// <param name="PayloadBytes">Coded payload size (header + body).</param>
/// <param name="MessageBytes">Size of the whole protobuf request message.</param>
/// <param name="Latency">From the start of the head's forward to the answer.</param>
public sealed record FrameOutcome(int Index, int Label, FrameResult Result, int PayloadBytes, int MessageBytes, TimeSpan Latency);
