namespace SplitNet.LoadTest;

/// <summary>How to load a server.</summary>
/// <param name="Streams">Concurrent bidi streams (simulated edge devices).</param>
/// <param name="Window">Unanswered frames allowed per stream (the edge's credit window).</param>
/// <param name="Duration">Measured time, after the warm-up.</param>
/// <param name="WarmUp">Time sent but not measured.</param>
/// <param name="Rate">
/// Open loop: total frames per second spread evenly over the streams, sent on schedule whatever
/// the answers (the window should then be large). Null: closed loop, each stream keeps its window full.
/// </param>
/// <param name="FrameTimeoutMicros">Per-frame time budget on the server; 0 = none.</param>
/// <param name="Arrivals">Open loop: evenly spaced frames, or Poisson arrivals of the same mean rate.</param>
/// <param name="Seed">Open loop with Poisson arrivals: seeds every stream's schedule (stream s uses Seed + s).</param>
public sealed record LoadProfile(int Streams, int Window, TimeSpan Duration, TimeSpan WarmUp, double? Rate = null, uint FrameTimeoutMicros = 0,
    Arrivals Arrivals = Arrivals.Constant, int Seed = 1);

/// <summary>One pre-coded frame to send.</summary>
public sealed record LoadFrame(byte[] Payload, uint RateLevel, uint LatentLength = 0);
