using SplitNet.Edge.RateControl;

namespace SplitNet.Edge;

/// <summary>How an edge run produces and sends frames.</summary>
public sealed record EdgeRunOptions
{
    /// <summary>A camera: capture a frame every 1/FrameRate s (frames the encoder cannot keep up with are dropped and counted). Null: as fast as the window allows.</summary>
    public double? FrameRate { get; init; }

    /// <summary>Run for this long, cycling through the source; null: one pass over it.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Early-exit threshold τ: frames whose early-exit confidence reaches it are answered on the edge and not sent. Null: off.</summary>
    public double? EarlyExitThreshold { get; init; }

    /// <summary>Chooses each frame's rate level; null keeps the encoder's level.</summary>
    public RateController? RateControl { get; init; }

    /// <summary>The deadline frames are counted against (met / missed). Default 1 s.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Paces capture and times frames. Default the system clock.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
