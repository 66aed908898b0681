using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SplitNet.Server.Tests;

/// <summary>
/// Watches the logs of the servers a test uses and, when disposed at the end of the test, fails
/// it if any of them logged an entry at <see cref="LogLevel.Error"/> or above that the test did
/// not declare with <see cref="ExpectErrors"/>.
/// </summary>
public sealed class VerifyNoErrorsScope : IDisposable
{
    private readonly ConcurrentQueue<LogEntry> _errors = new();
    private readonly ConcurrentBag<IDisposable> _subscriptions = [];
    private readonly List<Func<LogEntry, bool>> _expected = [];

    /// <param name="shared">Logs of servers shared with other tests (a fixture's), watched from now on.</param>
    public VerifyNoErrorsScope(params CapturingLoggerProvider[] shared)
    {
        foreach (var source in shared)
        {
            _subscriptions.Add(source.Subscribe(OnLogged, replay: false));
        }
    }

    /// <summary>Also watches <paramref name="source"/> (a server started by the test itself), from its first entry.</summary>
    public void Watch(CapturingLoggerProvider source) => _subscriptions.Add(source.Subscribe(OnLogged, replay: true));

    /// <summary>Declares error entries this test causes on purpose; entries matching <paramref name="expected"/> do not fail it.</summary>
    public void ExpectErrors(Func<LogEntry, bool> expected)
    {
        lock (_expected)
        {
            _expected.Add(expected);
        }
    }

    private void OnLogged(LogEntry entry)
    {
        if (entry.Level >= LogLevel.Error)
        {
            _errors.Enqueue(entry);
        }
    }

    public void Dispose()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }
        List<LogEntry> unexpected;
        lock (_expected)
        {
            unexpected = [.. _errors.Where(e => !_expected.Any(expected => expected(e)))];
        }
        if (unexpected.Count > 0)
        {
            Assert.Fail($"The test logged {unexpected.Count} error(s) it did not expect:{Environment.NewLine}{string.Join(Environment.NewLine, unexpected)}");
        }
    }
}
