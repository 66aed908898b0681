using Google.Protobuf;
using SplitNet.Contracts.V1;
using SplitNet.Edge.Resilience;

namespace SplitNet.Edge;

/// <summary>
/// One long-lived <c>InferStream</c> call with a credit window and nothing else (no retries, no
/// failover: the load-test harness wants to see what the server answers): at most <c>window</c>
/// frames are unanswered at any time, answers are matched by frame id in whatever order they
/// arrive, and each frame's task completes exactly once (answers for unknown or already answered
/// ids are counted and dropped).
/// </summary>
public sealed class StreamingSession : IAsyncDisposable
{
    private readonly LinkStream _stream;
    private readonly SemaphoreSlim _credits;

    /// <param name="client">The server to stream to.</param>
    /// <param name="window">Most frames unanswered at any time.</param>
    /// <param name="open">Identity of a latent stream, sent before the first frame; null for feature payloads.</param>
    /// <param name="cancellation">Ends the call.</param>
    public StreamingSession(SplitInference.SplitInferenceClient client, int window, StreamOpen? open = null, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        _credits = new SemaphoreSlim(window, window);
        _stream = new LinkStream(client, open, cancellation: cancellation);
    }

    /// <summary>Answers received for frames that were not waiting (duplicates or unknown ids).</summary>
    public long Unmatched => _stream.Duplicates;

    /// <summary>Frames sent and not yet answered.</summary>
    public int InFlight => _stream.Waiting;

    /// <summary>
    /// Sends one frame once the window has room. The returned task completes with the answer;
    /// the first task completes when the frame is on its way. A non-zero
    /// <paramref name="timeoutMicros"/> is the frame's time budget on the server;
    /// <paramref name="latentLength"/> is the frame's length along a variable latent axis.
    /// </summary>
    public async Task<Task<InferResponse>> SendAsync(ulong frameId, ReadOnlyMemory<byte> payload, uint rateLevel = 0, CancellationToken cancellation = default, uint timeoutMicros = 0, uint latentLength = 0)
    {
        await _credits.WaitAsync(cancellation).ConfigureAwait(false);
        Task<InferResponse> answer;
        try
        {
            answer = await _stream.SendAsync(new InferRequest
            {
                FrameId = frameId,
                Payload = UnsafeByteOperations.UnsafeWrap(payload),
                RateLevel = rateLevel,
                TimeoutMicros = timeoutMicros,
                LatentLength = latentLength,
            }, cancellation).ConfigureAwait(false);
        }
        catch
        {
            _credits.Release();
            throw;
        }
        _ = answer.ContinueWith(static (_, credits) => ((SemaphoreSlim)credits!).Release(), _credits,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return answer;
    }

    /// <summary>Tells the server no more frames come and waits for every outstanding answer.</summary>
    public Task CompleteAsync() => _stream.CompleteAsync();

    // The credits are not disposed: answers failed by the closing stream still hand theirs back.
    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
