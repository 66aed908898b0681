namespace SplitNet.Server.Serving;

/// <summary>
/// Ends the streaming calls at shutdown and tells when they have ended. A stream counts itself
/// in with <see cref="Enter"/> and watches <see cref="Draining"/>: once it fires the stream stops
/// reading, answers what it read and ends with UNAVAILABLE.
/// </summary>
internal sealed class ServerDrain : IDisposable
{
    private readonly object _gate = new();
    private readonly CancellationTokenSource _draining = new();
    private int _open;
    private TaskCompletionSource _none = Ended();

    /// <summary>Fires when shutdown begins.</summary>
    public CancellationToken Draining => _draining.Token;

    /// <summary>Streams being served now.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>Counts a stream until the returned scope is disposed.</summary>
    public Scope Enter()
    {
        lock (_gate)
        {
            if (_open++ == 0)
            {
                _none = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        return new Scope(this);
    }

    /// <summary>Tells every stream to end; completes when none is left or <paramref name="timeout"/> has passed.</summary>
    /// <returns>True when every stream ended in time.</returns>
    public async Task<bool> DrainAsync(TimeSpan timeout, TimeProvider clock, CancellationToken cancellation)
    {
        await _draining.CancelAsync().ConfigureAwait(false);
        Task none;
        lock (_gate)
        {
            none = _none.Task;
        }
        try
        {
            await none.WaitAsync(timeout, clock, cancellation).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private void Exit()
    {
        lock (_gate)
        {
            if (--_open == 0)
            {
                _none.TrySetResult();
            }
        }
    }

    private static TaskCompletionSource Ended()
    {
        var none = new TaskCompletionSource();
        none.SetResult();
        return none;
    }

    public void Dispose() => _draining.Dispose();

    /// <summary>One stream's place in the count.</summary>
    public readonly struct Scope(ServerDrain drain) : IDisposable
    {
        public void Dispose() => drain.Exit();
    }
}
