namespace SplitNet.Edge;

/// <summary>How an edge run sends frames.</summary>
public sealed record EdgeRunOptions
{
    /// <summary>Unanswered frames allowed on the stream (credit window). Default 16.</summary>
    public int Window { get; init; } = 16;
}
