using Microsoft.Extensions.Logging;

namespace SplitNet.Server.Tests;

/// <summary>Keeps every entry logged through it and hands each to its listeners.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly object _gate = new();
    private readonly List<LogEntry> _entries = [];
    private readonly List<Action<LogEntry>> _listeners = [];

    /// <summary>Every entry so far, oldest first.</summary>
    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>
    /// Hands <paramref name="listener"/> every later entry (and, with <paramref name="replay"/>,
    /// every entry so far first) until the returned handle is disposed.
    /// </summary>
    public IDisposable Subscribe(Action<LogEntry> listener, bool replay)
    {
        lock (_gate)
        {
            if (replay)
            {
                _entries.ForEach(listener);
            }
            _listeners.Add(listener);
        }
        return new Subscription(this, listener);
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(LogEntry entry)
    {
        lock (_gate)
        {
            _entries.Add(entry);
            _listeners.ForEach(listener => listener(entry));
        }
    }

    private sealed class Subscription(CapturingLoggerProvider owner, Action<LogEntry> listener) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate)
            {
                owner._listeners.Remove(listener);
            }
        }
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Add(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception));
    }
}
