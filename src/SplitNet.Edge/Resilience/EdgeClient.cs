using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using SplitNet.Contracts.V1;

namespace SplitNet.Edge.Resilience;

/// <summary>
/// The edge's connection to its servers: a credit window over every frame in flight, one
/// long-lived stream per server, and one Polly pipeline per frame — a timeout for the frame's
/// whole budget around a jittered exponential retry — plus a circuit breaker per server. A frame
/// whose stream breaks is re-sent (on the next healthy server if its own is failing); answers are
/// matched by frame id and duplicates dropped; when every circuit is open the frame is answered
/// by the early-exit head on the edge and marked degraded. Every frame ends as exactly one
/// <see cref="EdgeAnswer"/>. gRPC's own retries stay off, so nothing is retried twice.
/// </summary>
public sealed class EdgeClient : IAsyncDisposable
{
    private readonly EdgeClientOptions _options;
    private readonly ServerLink[] _links;
    private readonly SemaphoreSlim _credits;
    private readonly ResiliencePipeline _frames;
    private readonly EdgeMetrics? _metrics;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private int _primary;
    private int _inFlight;
    private int _maxInFlight;
    private long _retries;
    private long _failovers;

    /// <param name="options">Servers, window, deadlines, retries and breakers.</param>
    /// <param name="open">Identity of a latent stream, sent before each stream's first frame; null for feature payloads.</param>
    /// <param name="metrics">Where retries and failovers are counted; none by default.</param>
    /// <param name="logger">Receives failovers, circuit changes and reconnects (<see cref="EdgeLog"/>); none by default.</param>
    /// <param name="clock">Deadlines, retry delays and break durations run on it; the system clock by default.</param>
    public EdgeClient(EdgeClientOptions options, StreamOpen? open, EdgeMetrics? metrics = null, ILogger? logger = null, TimeProvider? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(options.Endpoints.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Window, 1);
        _options = options;
        _metrics = metrics;
        _clock = clock ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _links = [.. options.Endpoints.Select(e => new ServerLink(e, open, options, _clock, _logger))];
        _credits = new SemaphoreSlim(options.Window, options.Window);
        _frames = new ResiliencePipelineBuilder { TimeProvider = _clock }
            .AddTimeout(options.FrameDeadline)
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
                ShouldHandle = new PredicateBuilder()
                    .Handle<RpcException>(e => ServerLink.IsTransportFailure(e) || e.StatusCode == StatusCode.ResourceExhausted)
                    .Handle<BrokenCircuitException>(),
                OnRetry = args =>
                {
                    Interlocked.Increment(ref _retries);
                    _metrics?.Retried();
                    return default;
                },
            })
            .Build();
    }

    /// <summary>The most frames ever in flight at once (never above the window).</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Re-sends after a break or a refusal.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Times the preferred server changed because the current one failed.</summary>
    public long Failovers => Interlocked.Read(ref _failovers);

    /// <summary>Answers dropped because their frame was already answered or given up.</summary>
    public long Duplicates => _links.Sum(l => l.Duplicates);

    /// <summary>Streams re-opened after a break, over all servers.</summary>
    public long Reconnects => _links.Sum(l => l.Reconnects);

    /// <summary>True when every server's circuit is open: frames are answered locally.</summary>
    public bool AllCircuitsOpen => _links.All(l => l.IsOpen);

    /// <summary>Connects to every server before the first frame, so failing over pays no connection set-up (bounded by <paramref name="timeout"/>).</summary>
    public async Task ConnectAsync(TimeSpan timeout, CancellationToken cancellation = default)
    {
        using var expiry = new CancellationTokenSource(timeout, _clock);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellation, expiry.Token);
        await Task.WhenAll(_links.Select(l => l.ConnectAsync(bounded.Token))).ConfigureAwait(false);
        cancellation.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Sends one coded frame and returns its one outcome. <paramref name="local"/> is the
    /// early-exit head's softmax for this frame, used when no server can be reached.
    /// </summary>
    public async Task<EdgeAnswer> InferAsync(ulong frameId, EncodedFrame frame, float[]? local = null, CancellationToken cancellation = default) =>
        await (await SubmitAsync(frameId, frame, local, cancellation).ConfigureAwait(false)).ConfigureAwait(false);

    /// <summary>
    /// Waits for room in the window, then starts the frame; the returned task completes with its
    /// outcome. Lets a sender keep the window full without holding more frames than it.
    /// </summary>
    public async Task<Task<EdgeAnswer>> SubmitAsync(ulong frameId, EncodedFrame frame, float[]? local = null, CancellationToken cancellation = default)
    {
        await _credits.WaitAsync(cancellation).ConfigureAwait(false);
        int now = Interlocked.Increment(ref _inFlight);
        InterlockedMax(ref _maxInFlight, now);
        return RunAsync(frameId, frame, local, cancellation);
    }

    private async Task<EdgeAnswer> RunAsync(ulong frameId, EncodedFrame frame, float[]? local, CancellationToken cancellation)
    {
        long submitted = _clock.GetTimestamp();
        int attempts = 0;
        try
        {
            // Polly's timeout is cooperative; the outer wait makes sure the frame ends even if some
            // transport await inside ignores the cancellation.
            var (response, link) = await _frames.ExecuteAsync(async token =>
            {
                attempts++;
                var link = Select() ?? throw new NoServerException();
                var messages = Messages(frameId, frame, _options.FrameDeadline - _clock.GetElapsedTime(submitted));
                try
                {
                    var answer = await link.SendAsync(messages, token).ConfigureAwait(false);
                    if (answer.Error is { } error)
                    {
                        throw new RpcException(new Status((StatusCode)error.Code, error.Message));
                    }
                    return (answer, link);
                }
                catch (Exception e) when (e is BrokenCircuitException || (e is RpcException rpc && ServerLink.IsTransportFailure(rpc)))
                {
                    FailOver(link);
                    throw;
                }
            }, cancellation).AsTask().WaitAsync(_options.FrameDeadline + AbandonGrace, _clock, cancellation).ConfigureAwait(false);
            var best = response.Predictions.FirstOrDefault();
            return new EdgeAnswer(frameId, AnswerSource.Server, best is null ? -1 : (int)best.ClassId, best?.Probability ?? 0, null, attempts, link.Endpoint, response.ServerMicros,
                response.Embedding.Count > 0 ? [.. response.Embedding] : null, response.RateLevel);
        }
        catch (NoServerException)
        {
            return local is null
                ? new EdgeAnswer(frameId, AnswerSource.None, -1, 0, "no server reachable and no early-exit head to answer locally", attempts, null)
                : EdgeAnswer.Local(frameId, AnswerSource.LocalFallback, local) with { Attempts = attempts };
        }
        catch (Exception e) when (e is TimeoutRejectedException or TimeoutException)
        {
            return new EdgeAnswer(frameId, AnswerSource.None, -1, 0, $"deadline of {_options.FrameDeadline.TotalMilliseconds:F0} ms passed", attempts, null);
        }
        catch (RpcException e)
        {
            return new EdgeAnswer(frameId, AnswerSource.None, -1, 0, $"{e.StatusCode}: {e.Status.Detail}", attempts, null);
        }
        catch (BrokenCircuitException)
        {
            return local is null
                ? new EdgeAnswer(frameId, AnswerSource.None, -1, 0, "every server's circuit is open", attempts, null)
                : EdgeAnswer.Local(frameId, AnswerSource.LocalFallback, local) with { Attempts = attempts };
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _credits.Release();
        }
    }

    /// <summary>
    /// The messages that carry one frame with <paramref name="budget"/> left (null: the whole
    /// <see cref="EdgeClientOptions.FrameDeadline"/>): one, or with
    /// <see cref="EdgeClientOptions.SendSegments"/> and an embedded frame of several segments, the
    /// base (which says how many segments the frame has) and its refinements in at most
    /// <see cref="EdgeClientOptions.RefinementMessages"/> runs of consecutive segments, as even as they divide.
    /// </summary>
    public InferRequest[] Messages(ulong frameId, EncodedFrame frame, TimeSpan? budget = null)
    {
        uint timeout = (uint)Math.Clamp((budget ?? _options.FrameDeadline).TotalMicroseconds, 1, uint.MaxValue);
        if (!_options.SendSegments || frame.SegmentEnds is not { Length: > 1 } ends)
        {
            return [new InferRequest
            {
                FrameId = frameId,
                Payload = UnsafeByteOperations.UnsafeWrap(frame.Payload),
                RateLevel = frame.RateLevel,
                LatentLength = frame.LatentLength,
                TimeoutMicros = timeout,
            }];
        }
        int refinements = ends.Length - 1, runs = Math.Clamp(_options.RefinementMessages, 1, refinements);
        var messages = new InferRequest[runs + 1];
        messages[0] = new InferRequest
        {
            FrameId = frameId,
            Payload = UnsafeByteOperations.UnsafeWrap(frame.Payload.AsMemory(0, ends[0])),
            Segments = (uint)ends.Length,
            RefineMicros = _options.SegmentWait is { } wait ? (uint)Math.Clamp(wait.TotalMicroseconds, 1, uint.MaxValue) : 0,
            LatentLength = frame.LatentLength,
            TimeoutMicros = timeout,
        };
        for (int run = 0, first = 1; run < runs; run++)
        {
            int count = refinements / runs + (run < refinements % runs ? 1 : 0);
            messages[run + 1] = new InferRequest
            {
                FrameId = frameId,
                Segment = (uint)first,
                SegmentCount = count == 1 ? 0 : (uint)count,
                Payload = UnsafeByteOperations.UnsafeWrap(frame.Payload.AsMemory(ends[first - 1], ends[first + count - 1] - ends[first - 1])),
            };
            first += count;
        }
        return messages;
    }

    /// <summary>The preferred server, or the next one whose circuit is not open; null when all are open.</summary>
    private ServerLink? Select()
    {
        int start = Volatile.Read(ref _primary);
        for (int i = 0; i < _links.Length; i++)
        {
            var link = _links[(start + i) % _links.Length];
            if (!link.IsOpen)
            {
                return link;
            }
        }
        return null;
    }

    private void FailOver(ServerLink failed)
    {
        int index = Array.IndexOf(_links, failed);
        int next = (index + 1) % _links.Length;
        if (_links.Length > 1 && Interlocked.CompareExchange(ref _primary, next, index) == index)
        {
            Interlocked.Increment(ref _failovers);
            _metrics?.FailedOver();
            EdgeLog.FailedOver(_logger, failed.Endpoint, _links[next].Endpoint);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var link in _links)
        {
            await link.DisposeAsync().ConfigureAwait(false);
        }
        _credits.Dispose();
    }

    private static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(1);

    /// <summary>Every server's circuit is open.</summary>
    private sealed class NoServerException : Exception;
}
