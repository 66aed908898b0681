using System.Collections.Concurrent;
using Grpc.Core;
using SplitNet.Contracts.V1;

namespace SplitNet.Edge.Resilience;

/// <summary>
/// One <c>InferStream</c> call to one server. Answers are matched by frame id; an answer for a
/// frame not waiting (a duplicate, or one already given up) is counted and dropped. When the
/// call breaks, every frame still waiting on it fails with <c>UNAVAILABLE</c>, so its sender
/// resends it elsewhere: those waiting for their answer, those waiting to write, and a write the
/// transport itself would never end.
/// </summary>
internal sealed class LinkStream : IAsyncDisposable
{
    private readonly AsyncDuplexStreamingCall<InferRequest, InferResponse> _call;
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<InferResponse>> _pending = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly StreamOpen? _open;
    private readonly Task _receiving;
    private readonly CancellationTokenSource _breaking = new();
    private long _duplicates;
    private bool _opened;

    public LinkStream(SplitInference.SplitInferenceClient client, StreamOpen? open, Metadata? headers = null, CancellationToken cancellation = default)
    {
        _open = open;
        _call = client.InferStream(headers, cancellationToken: cancellation);
        _receiving = ReceiveAsync();
    }

    public bool Broken => _breaking.IsCancellationRequested;

    /// <summary>Answers that matched no waiting frame.</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Frames sent and not yet answered.</summary>
    public int Waiting => _pending.Count;

    /// <summary>Sends one frame and waits for its answer; gives up (and forgets the frame) when <paramref name="cancellation"/> fires.</summary>
    public async Task<InferResponse> InferAsync(IReadOnlyList<InferRequest> frame, CancellationToken cancellation)
    {
        var answer = await SendAsync(frame, cancellation).ConfigureAwait(false);
        try
        {
            return await answer.WaitAsync(cancellation).ConfigureAwait(false);
        }
        finally
        {
            Forget(frame[0].FrameId, answer);
        }
    }

    /// <inheritdoc cref="SendAsync(IReadOnlyList{InferRequest}, CancellationToken)"/>
    public Task<Task<InferResponse>> SendAsync(InferRequest frame, CancellationToken cancellation) => SendAsync([frame], cancellation);

    /// <summary>
    /// Writes one frame's messages back to back (the stream's open message first, once). Completes
    /// when the frame is on its way; the returned task completes with its answer, or fails when the stream breaks.
    /// </summary>
    public async Task<Task<InferResponse>> SendAsync(IReadOnlyList<InferRequest> messages, CancellationToken cancellation)
    {
        var frame = messages[0];
        var answer = new TaskCompletionSource<InferResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.TryAdd(frame.FrameId, answer))
        {
            throw new InvalidOperationException($"frame {frame.FrameId} is already waiting on this stream");
        }
        using var writing = CancellationTokenSource.CreateLinkedTokenSource(cancellation, _breaking.Token);
        try
        {
            await _writeLock.WaitAsync(writing.Token).ConfigureAwait(false);
            try
            {
                if (Broken)
                {
                    throw new RpcException(new Status(StatusCode.Unavailable, "stream is broken"));
                }
                if (_open is not null && !_opened)
                {
                    await WriteAsync(new InferRequest { Open = _open }, writing.Token).ConfigureAwait(false);
                    _opened = true;
                }
                foreach (var message in messages)
                {
                    await WriteAsync(message, writing.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                _writeLock.Release();
            }
            return answer.Task;
        }
        catch (Exception e)
        {
            Forget(frame.FrameId, answer.Task);
            if (e is OperationCanceledException && cancellation.IsCancellationRequested)
            {
                throw;
            }
            Break();
            // A write on a call that already failed, or a stream that broke while the frame waited: the transport is gone.
            throw e as RpcException ?? new RpcException(new Status(StatusCode.Unavailable, $"stream broke: {e.Message}"), e.Message);
        }
    }

    /// <summary>Tells the server no more frames come and waits until every answer has arrived.</summary>
    public async Task CompleteAsync()
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await _call.RequestStream.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
        await _receiving.ConfigureAwait(false);
    }

    private void Forget(ulong frameId, Task<InferResponse> answer)
    {
        if (_pending.TryGetValue(frameId, out var waiting) && waiting.Task == answer)
        {
            _pending.TryRemove(new KeyValuePair<ulong, TaskCompletionSource<InferResponse>>(frameId, waiting));
        }
    }

    /// <summary>
    /// One write, given up when the frame's budget ends even if the transport does not notice the
    /// cancellation: the call is then abandoned (a half-done write leaves it unusable) and the lock freed.
    /// </summary>
    private async Task WriteAsync(InferRequest message, CancellationToken cancellation)
    {
        try
        {
            await _call.RequestStream.WriteAsync(message, cancellation).WaitAsync(cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Break();
            _call.Dispose();
            throw;
        }
    }

    private async Task ReceiveAsync()
    {
        Exception? failure = null;
        try
        {
            await foreach (var response in _call.ResponseStream.ReadAllAsync().ConfigureAwait(false))
            {
                if (!_pending.TryRemove(response.FrameId, out var answer) || !answer.TrySetResult(response))
                {
                    Interlocked.Increment(ref _duplicates);
                }
            }
        }
        catch (Exception e)
        {
            failure = e;
        }
        Break();
        var status = failure is RpcException rpc
            ? new Status(rpc.StatusCode == StatusCode.Cancelled ? StatusCode.Unavailable : rpc.StatusCode, rpc.Status.Detail)
            : new Status(StatusCode.Unavailable, $"stream ended before the frame was answered{(failure is null ? "" : $": {failure.Message}")}");
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var answer))
            {
                answer.TrySetException(new RpcException(status));
            }
        }
    }

    /// <summary>Marks the stream broken: frames waiting to write, or writing, give up at once.</summary>
    private void Break() => _breaking.Cancel();

    // The write lock and the breaking signal are left to the collector: a sender may still be
    // about to wait on or release them, and a disposed semaphore would strand it.
    public async ValueTask DisposeAsync()
    {
        Break();
        _call.Dispose();
        await _receiving.ConfigureAwait(false);
    }
}
