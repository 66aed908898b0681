namespace SplitNet.Edge;

/// <summary>How an edge run sends frames.</summary>
public sealed record EdgeRunOptions
{
    /// <summary>Unanswered frames allowed on the stream (credit window). Default 16.</summary>
    public int Window { get; init; } = 16;

    /// <summary>Classes returned per frame. Default 1.</summary>
    public int TopK { get; init; } = 1;

    /// <summary>Per-frame deadline; 0 means none. Default 0.</summary>
    public TimeSpan Deadline { get; init; }
}
