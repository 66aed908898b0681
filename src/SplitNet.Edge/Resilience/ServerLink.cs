using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using SplitNet.Contracts.V1;

namespace SplitNet.Edge.Resilience;

/// <summary>
/// One server endpoint: its channel, its current stream (re-opened after a break) and its
/// circuit breaker, which counts transport failures only (a refused frame is an answer).
/// </summary>
internal sealed class ServerLink : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly ReplicaReadiness? _replicas;
    private readonly SplitInference.SplitInferenceClient _client;
    private readonly StreamOpen? _open;
    private readonly Metadata _headers = [];
    private readonly object _gate = new();
    private readonly CircuitBreakerStateProvider _state = new();
    private readonly ResiliencePipeline _breaker;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private LinkStream? _stream;
    private long _trialAtTicks;
    private long _retiredDuplicates;
    private long _reconnects = -1;

    public ServerLink(Uri endpoint, StreamOpen? open, EdgeClientOptions options, TimeProvider clock, ILogger logger)
    {
        Endpoint = endpoint;
        _open = open;
        _logger = logger;
        _clock = clock;
        (_channel, _replicas) = EdgeChannels.Create(endpoint, options);
        _client = new SplitInference.SplitInferenceClient(_channel);
        if (options.ApiKey is { } key)
        {
            _headers.Add("authorization", $"Bearer {key}");
        }
        _breaker = new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = options.BreakerFailureRatio,
                MinimumThroughput = options.BreakerMinimumThroughput,
                SamplingDuration = options.BreakerSampling,
                BreakDuration = options.BreakDuration,
                StateProvider = _state,
                ShouldHandle = new PredicateBuilder().Handle<RpcException>(IsTransportFailure),
                OnOpened = args =>
                {
                    Volatile.Write(ref _trialAtTicks, (_clock.GetUtcNow() + args.BreakDuration).UtcTicks);
                    EdgeLog.CircuitOpened(_logger, Endpoint, args.BreakDuration);
                    return default;
                },
                OnHalfOpened = _ =>
                {
                    EdgeLog.CircuitHalfOpened(_logger, Endpoint);
                    return default;
                },
                OnClosed = _ =>
                {
                    EdgeLog.CircuitClosed(_logger, Endpoint);
                    return default;
                },
            })
            .Build();
    }

    public Uri Endpoint { get; }

    /// <summary>
    /// True while the circuit keeps the server out. An open circuit lets a trial through once its
    /// break has passed, but turns half-open only when a call is made: the break is judged here.
    /// </summary>
    public bool IsOpen => _state.CircuitState switch
    {
        CircuitState.Isolated => true,
        CircuitState.Open => _clock.GetUtcNow().UtcTicks < Volatile.Read(ref _trialAtTicks),
        _ => false,
    };

    /// <summary>Streams opened after the first one.</summary>
    public long Reconnects => Math.Max(0, Interlocked.Read(ref _reconnects));

    /// <summary>Duplicate answers dropped on every stream so far.</summary>
    public long Duplicates
    {
        get
        {
            lock (_gate)
            {
                return _retiredDuplicates + (_stream?.Duplicates ?? 0);
            }
        }
    }

    /// <summary>Failures that say the connection or the server is gone, not that a frame was refused.</summary>
    public static bool IsTransportFailure(RpcException e) =>
        e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.Cancelled;

    /// <summary>
    /// Opens the connection ahead of the first frame (a warm standby fails over without a
    /// handshake); on a balanced endpoint, waits until every replica is connected or the
    /// connect timeout ends, so the stream can open on any of them. Failures are left to the first send.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellation)
    {
        try
        {
            await _channel.ConnectAsync(cancellation).ConfigureAwait(false);
            if (_replicas is not null)
            {
                await _replicas.AllConnected.WaitAsync(cancellation).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || cancellation.IsCancellationRequested)
        {
            // An unreachable or slow server is found out, counted and failed over by the sends themselves.
        }
    }

    /// <summary>Sends one frame (its messages, in order) through the breaker on the current stream (opening one if needed).</summary>
    public ValueTask<InferResponse> SendAsync(IReadOnlyList<InferRequest> frame, CancellationToken cancellation) =>
        _breaker.ExecuteAsync(static async (state, token) => await state.Link.Stream().InferAsync(state.Frame, token).ConfigureAwait(false),
            (Link: this, Frame: frame), cancellation);

    private LinkStream Stream()
    {
        lock (_gate)
        {
            if (_stream is null || _stream.Broken)
            {
                if (_stream is not null)
                {
                    _retiredDuplicates += _stream.Duplicates;
                    _ = _stream.DisposeAsync().AsTask();
                }
                _stream = new LinkStream(_client, _open, _headers);
                long reconnects = Interlocked.Increment(ref _reconnects);
                if (reconnects > 0)
                {
                    EdgeLog.Reconnected(_logger, Endpoint, reconnects);
                }
            }
            return _stream;
        }
    }

    public async ValueTask DisposeAsync()
    {
        LinkStream? stream;
        lock (_gate)
        {
            stream = _stream;
        }
        if (stream is not null)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        _channel.Dispose();
    }
}
