namespace SplitNet.Edge.RateControl;

/// <summary>What the rate controller aims for. Defaults are documented per setting.</summary>
public sealed record RateControlOptions
{
    /// <summary>Frames per second the camera produces. Default 30.</summary>
    public double FrameRate { get; init; } = 30;

    /// <summary>Each frame's end-to-end deadline. Default 100 ms.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Bytes a frame costs on the wire beyond its payload (gRPC, HTTP/2, TCP/IP framing). Default 80.</summary>
    public int OverheadBytes { get; init; } = 80;

    /// <summary>Share of the estimated link capacity the chosen level may use. Default 0.8.</summary>
    public double Headroom { get; init; } = 0.8;

    /// <summary>How long the link must look idle before trying the next level up. Default 1 s.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a capacity learnt from congestion holds, with the link calm, before one level above
    /// it is probed; doubled by each probe that meets congestion. Default 5 s.
    /// </summary>
    public TimeSpan CapacityMemory { get; init; } = TimeSpan.FromSeconds(5);
}
