using System.Collections.Concurrent;
using Grpc.Core;
using SplitNet.Contracts.V1;

namespace SplitNet.Edge;

/// <summary>
/// One long-lived <c>InferStream</c> call with a credit window: at most <c>window</c> frames are
/// unanswered at any time, answers are matched by frame id in whatever order they arrive, and
/// each frame's task completes exactly once (answers for unknown or already answered ids are
/// counted and dropped).
/// </summary>
public sealed class StreamingSession : IAsyncDisposable
{
    private readonly AsyncDuplexStreamingCall<InferRequest, InferResponse> _call;
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<InferResponse>> _pending = new();
    private readonly SemaphoreSlim _credits;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Task _receiving;
    private long _unmatched;

    private readonly StreamOpen? _open;
    private bool _opened;

    /// <param name="client">The server to stream to.</param>
    /// <param name="window">Most frames unanswered at any time.</param>
    /// <param name="open">Identity of a latent stream, sent before the first frame; null for feature payloads.</param>
    /// <param name="cancellation">Ends the call.</param>
    public StreamingSession(SplitInference.SplitInferenceClient client, int window, StreamOpen? open = null, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        _credits = new SemaphoreSlim(window, window);
        _open = open;
        _call = client.InferStream(cancellationToken: cancellation);
        _receiving = ReceiveAsync();
    }

    /// <summary>Answers received for frames that were not waiting (duplicates or unknown ids).</summary>
    public long Unmatched => Interlocked.Read(ref _unmatched);

    /// <summary>Frames sent and not yet answered.</summary>
    public int InFlight => _pending.Count;

    /// <summary>
    /// Sends one frame once the window has room. The returned task completes with the answer;
    /// the first task completes when the frame is on its way. A non-zero
    /// <paramref name="timeoutMicros"/> is the frame's time budget on the server.
    /// </summary>
    public async Task<Task<InferResponse>> SendAsync(ulong frameId, ReadOnlyMemory<byte> payload, uint rateLevel = 0, CancellationToken cancellation = default, uint timeoutMicros = 0)
    {
        await _credits.WaitAsync(cancellation).ConfigureAwait(false);
        var answer = new TaskCompletionSource<InferResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.TryAdd(frameId, answer))
        {
            _credits.Release();
            throw new InvalidOperationException($"Frame id {frameId} is already in flight.");
        }
        await _sendLock.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            if (_open is not null && !_opened)
            {
                await _call.RequestStream.WriteAsync(new InferRequest { Open = _open }, cancellation).ConfigureAwait(false);
                _opened = true;
            }
            await _call.RequestStream.WriteAsync(new InferRequest
            {
                FrameId = frameId,
                Payload = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(payload),
                RateLevel = rateLevel,
                TimeoutMicros = timeoutMicros,
            }, cancellation).ConfigureAwait(false);
        }
        catch
        {
            Fail(frameId);
            throw;
        }
        finally
        {
            _sendLock.Release();
        }
        return answer.Task;
    }

    /// <summary>Tells the server no more frames come and waits for every outstanding answer.</summary>
    public async Task CompleteAsync()
    {
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await _call.RequestStream.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
        await _receiving.ConfigureAwait(false);
    }

    private void Fail(ulong frameId)
    {
        if (_pending.TryRemove(frameId, out _))
        {
            _credits.Release();
        }
    }

    private async Task ReceiveAsync()
    {
        Exception? failure = null;
        try
        {
            await foreach (var response in _call.ResponseStream.ReadAllAsync().ConfigureAwait(false))
            {
                if (_pending.TryRemove(response.FrameId, out var answer))
                {
                    answer.TrySetResult(response);
                    _credits.Release();
                }
                else
                {
                    Interlocked.Increment(ref _unmatched);
                }
            }
        }
        catch (Exception e)
        {
            failure = e;
        }
        // Whatever is still pending will never be answered on this call.
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var answer))
            {
                answer.TrySetException(failure ?? new RpcException(new Status(StatusCode.Unavailable, "stream ended before the frame was answered")));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _call.Dispose();
        await _receiving.ConfigureAwait(false);
        _credits.Dispose();
        _sendLock.Dispose();
    }
}
