using Microsoft.Extensions.Logging;

namespace SplitNet.Edge;

/// <summary>The edge's structured log events. Event ids are stable: dashboards key on them.</summary>
internal static partial class EdgeLog
{
    [LoggerMessage(1, LogLevel.Warning, "Failed over from {From} to {To}: the preferred server's stream or connection broke")]
    public static partial void FailedOver(ILogger logger, Uri from, Uri to);

    [LoggerMessage(2, LogLevel.Warning, "Circuit to {Endpoint} opened for {BreakDuration}: frames go to the other servers")]
    public static partial void CircuitOpened(ILogger logger, Uri endpoint, TimeSpan breakDuration);

    [LoggerMessage(3, LogLevel.Information, "Circuit to {Endpoint} half-open: the next frame is a trial")]
    public static partial void CircuitHalfOpened(ILogger logger, Uri endpoint);

    [LoggerMessage(4, LogLevel.Information, "Circuit to {Endpoint} closed: the server is used again")]
    public static partial void CircuitClosed(ILogger logger, Uri endpoint);

    [LoggerMessage(5, LogLevel.Information, "Stream to {Endpoint} re-opened after a break ({Reconnects} so far)")]
    public static partial void Reconnected(ILogger logger, Uri endpoint, long reconnects);
}
