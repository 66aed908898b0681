namespace SplitNet.Edge.Resilience;

/// <summary>How the edge talks to its servers. Defaults are documented per setting.</summary>
public sealed record EdgeClientOptions
{
    /// <summary>
    /// Server endpoints in order of preference; frames fail over to the next when one breaks. Each is
    /// <c>http(s)://host:port</c> (one server or an L7 proxy), <c>dns:///host:port</c> (round robin over what
    /// the name resolves to, e.g. a headless service) or <c>static:///host:port,host:port</c>. Required.
    /// </summary>
    public required IReadOnlyList<Uri> Endpoints { get; init; }

    /// <summary>Frames submitted and not yet answered, across all servers (the credit window). Default 16.</summary>
    public int Window { get; init; } = 16;

    /// <summary>A frame's whole budget from submission, retries included; also sent as its server-side timeout. Default 1 s.</summary>
    public TimeSpan FrameDeadline { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Send a frame of an embedded model (<see cref="EncodedFrame.SegmentEnds"/>) in segments, the
    /// base in a message of its own first, so the server answers from the segments that arrive
    /// within <see cref="SegmentWait"/> instead of waiting for the whole frame. Under rate control
    /// a frame goes whole when the link has no room for the framing of more messages
    /// (<see cref="RateControl.RateController.Affords"/>). Default false (one message).
    /// </summary>
    public bool SendSegments { get; init; }

    /// <summary>
    /// With <see cref="SendSegments"/>: at most how many messages carry a frame's refinements after
    /// its base, each a run of consecutive segments. Every message costs its framing (protobuf,
    /// gRPC, HTTP/2, TCP), which on a thin uplink outweighs the later segments; more messages let
    /// part of the refinement arrive by the wait. Default 1.
    /// </summary>
    public int RefinementMessages { get; init; } = 1;

    /// <summary>
    /// With <see cref="SendSegments"/>: how long after the base arrives the server may wait for the
    /// rest before it answers from the whole segments it has. Null: the server's longest wait. Default null.
    /// </summary>
    public TimeSpan? SegmentWait { get; init; }

    /// <summary>First retry delay (exponential with jitter). Default 20 ms.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Longest retry delay. Default 250 ms.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Retries per frame (the deadline usually ends them first). Default 8.</summary>
    public int MaxRetries { get; init; } = 8;

    /// <summary>Failed share of calls to one server, over <see cref="BreakerSampling"/>, that opens its circuit. Default 0.5.</summary>
    public double BreakerFailureRatio { get; init; } = 0.5;

    /// <summary>Calls to one server within the sampling window before its circuit may open. Default 3.</summary>
    public int BreakerMinimumThroughput { get; init; } = 3;

    /// <summary>Window over which a server's failures are counted. Default 2 s.</summary>
    public TimeSpan BreakerSampling { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long an open circuit keeps a server out before one trial call. Default 1 s.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Sent as <c>authorization: Bearer &lt;key&gt;</c> when set. Default none.</summary>
    public string? ApiKey { get; init; }

    /// <summary>PEM CA certificate(s) that https servers must chain to, instead of the system store. Default none.</summary>
    public string? ServerCaFile { get; init; }

    /// <summary>PEM client certificate and key presented for mutual TLS. Default none.</summary>
    public (string CertificateFile, string KeyFile)? ClientCertificate { get; init; }
}
