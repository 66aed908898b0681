using Microsoft.Extensions.Logging;

namespace SplitNet.Server.Tests;

/// <summary>One log entry as a test sees it.</summary>
public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)
{
    public override string ToString() =>
        $"{Level} {Category}[{EventId.Id}:{EventId.Name}] {Message}{(Exception is null ? "" : $" ({Exception.GetType().Name}: {Exception.Message})")}";
}
