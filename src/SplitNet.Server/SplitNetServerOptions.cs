using System.ComponentModel.DataAnnotations;
using SplitNet.Server.Serving;

namespace SplitNet.Server;

/// <summary>
/// Settings of the server daemon, bound from the <c>SplitNet:Server</c> configuration section
/// (appsettings.json, environment variables such as <c>SplitNet__Server__MaxBatchSize=16</c>, or
/// command-line <c>--SplitNet:Server:MaxBatchSize=16</c>). Defaults are listed per setting.
/// </summary>
public sealed class SplitNetServerOptions
{
    public const string SectionName = "SplitNet:Server";

    /// <summary>Address to listen on. Default 127.0.0.1.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>gRPC port (HTTP/2; TLS when <see cref="Tls"/> is set); 0 picks a free one. Default 50051.</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 50051;

    /// <summary>Port of the Prometheus scrape endpoint <c>/metrics</c> (HTTP/1.1, plain text); 0 turns it off. Default 9464.</summary>
    [Range(0, 65535)]
    public int MetricsPort { get; set; } = 9464;

    /// <summary>
    /// What runs split models' server parts: <c>Auto</c> (ONNX Runtime when every level of a bundle
    /// has an ONNX export of its server part, else TorchSharp; ONNX Runtime was the faster in the
    /// backend comparison report), <c>Torch</c> or <c>OnnxRuntime</c>. Teacher bundles always run
    /// in TorchSharp. Default Auto.
    /// </summary>
    public ModelBackend Backend { get; set; } = ModelBackend.Auto;

    /// <summary>Backend per model id, overriding <see cref="Backend"/> (e.g. <c>SplitNet:Server:Backends:minilm-wordnet=Torch</c>). Default none.</summary>
    public Dictionary<string, ModelBackend> Backends { get; set; } = [];

    /// <summary>ONNX Runtime sessions: <c>ExecutionProvider</c> (Cpu or Cuda), <c>DeviceId</c>, <c>IntraOpThreads</c>. Defaults Cpu, 0, 1.</summary>
    public OnnxRuntime.OnnxRuntimeOptions OnnxRuntime { get; set; } = new();

    /// <summary>Bundle folders served as they are (teacher or split-model server bundles). Default none.</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>
    /// Model repository: <c>&lt;repository&gt;/&lt;model&gt;/&lt;version&gt;/</c> folders, all loaded
    /// at start; further versions are loaded and unloaded with the repository RPCs. Default none.
    /// </summary>
    public string? ModelRepository { get; set; }

    /// <summary>Largest batch the dynamic batcher forms for one model version and rate level. Default 32.</summary>
    [Range(1, 4096)]
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>
    /// How long the first frame of a batch may wait for more frames before the batch runs anyway,
    /// in microseconds (resolution about 1 ms; 0 runs whatever is queued at once). Default 2000.
    /// </summary>
    [Range(0, 10_000_000)]
    public int MaxQueueDelayMicroseconds { get; set; } = 2000;

    /// <summary>
    /// Share of a frame's remaining time budget kept for the answer's way back: a frame is refused
    /// with RESOURCE_EXHAUSTED at once when frames are queued ahead of it and their work, judged
    /// from the last 32 batches (upper quartile), would use more than the rest. A frame with
    /// nothing queued ahead is always admitted, so a refusal can never outlive the work that
    /// causes it. Default 25.
    /// </summary>
    [Range(0, 90)]
    public int DeadlineHeadroomPercent { get; set; } = 25;

    /// <summary>Frames that may wait for an inference worker before new ones are refused with RESOURCE_EXHAUSTED. Default 256.</summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 256;

    /// <summary>
    /// Frames one Open Inference request may carry; a larger request is refused with
    /// INVALID_ARGUMENT before anything is decoded. Keep it well under <see cref="QueueCapacity"/>.
    /// Default 64.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxFramesPerRequest { get; set; } = 64;

    /// <summary>
    /// Bytes of decoded frames (float32 ŷ or features) held at once across all calls, from decoding
    /// until the answer: a frame that would pass it is refused with RESOURCE_EXHAUSTED before
    /// anything is allocated for it. Default 64 MiB.
    /// </summary>
    [Range(1024, long.MaxValue)]
    public long MaxDecodedBytesInFlight { get; set; } = 64L * 1024 * 1024;

    /// <summary>Dedicated inference threads. Default 1 (libtorch already spreads one batch over the cores).</summary>
    [Range(1, 64)]
    public int Workers { get; set; } = 1;

    /// <summary>
    /// libtorch intra-op threads for every forward (process-wide). 0 chooses per batch with one
    /// worker: one thread for batches under 8 frames (a tiny forward gains less from more cores than
    /// it costs gRPC), every core for larger ones. Default 0.
    /// </summary>
    [Range(0, 256)]
    public int TorchThreads { get; set; }

    /// <summary>Times each worker runs every start-up model at batch size 1 and the maximum before the server reports ready. Default 1.</summary>
    [Range(0, 10_000)]
    public int WarmUpRounds { get; set; } = 1;

    /// <summary>Largest accepted gRPC message in bytes; larger ones end the call with RESOURCE_EXHAUSTED. Default 1 MiB.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxReceiveMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest accepted feature payload in bytes; larger frames fail with RESOURCE_EXHAUSTED. Default 256 KiB.</summary>
    [Range(64, 64 * 1024 * 1024)]
    public int MaxFrameBytes { get; set; } = 256 * 1024;

    /// <summary>Frames of one stream being processed at once before the server stops reading that stream. Default 256.</summary>
    [Range(1, 65536)]
    public int MaxInFlightPerStream { get; set; } = 256;

    /// <summary>Concurrent HTTP/2 streams (calls) per client connection. Default 100.</summary>
    [Range(1, 10_000)]
    public int MaxStreamsPerConnection { get; set; } = 100;

    /// <summary>
    /// Seconds a stream may go without a whole message before the server ends it with UNAVAILABLE
    /// (every frame read is answered first; the edge reopens on its next frame): bounds abandoned
    /// streams and messages dripped a byte at a time. 0 = never. Default 120.
    /// </summary>
    [Range(0, 86_400)]
    public int StreamIdleTimeoutSeconds { get; set; } = 120;

    /// <summary>
    /// Longest wait, in milliseconds, for the remaining segments of an embedded frame after its
    /// base arrives, before it is answered from the whole segments it has; a frame's own
    /// <c>refine_micros</c> may ask for less. Default 1000.
    /// </summary>
    [Range(1, 60_000)]
    public int MaxSegmentWaitMilliseconds { get; set; } = 1000;

    /// <summary>
    /// Slowest request body a unary call may send, in bytes per second after a 5 s grace period;
    /// slower calls are aborted. Streaming calls are bounded by <see cref="StreamIdleTimeoutSeconds"/>
    /// instead. 0 = no minimum. Default 240.
    /// </summary>
    [Range(0, 1_000_000_000)]
    public int MinRequestBodyBytesPerSecond { get; set; } = 240;

    /// <summary>
    /// Seconds a connection with no call open is kept, including one that never completes its
    /// HTTP/2 preface. Default 30.
    /// </summary>
    [Range(1, 86_400)]
    public int KeepAliveTimeoutSeconds { get; set; } = 30;

    /// <summary>Seconds a client has to send a call's headers. Default 10.</summary>
    [Range(1, 3600)]
    public int RequestHeadersTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// Seconds without any frame from the client after which the server pings it, closing the
    /// connection if the ping is not answered within as long again: finds peers that vanished
    /// without closing their long-lived streams. 0 = no pings. Default 30.
    /// </summary>
    [Range(0, 86_400)]
    public int KeepAlivePingSeconds { get; set; } = 30;

    /// <summary>Open client connections (all ports); further ones are closed at once. Default 1000.</summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 1000;

    internal TimeSpan MaxSegmentWait => TimeSpan.FromMilliseconds(MaxSegmentWaitMilliseconds);

    internal TimeSpan StreamIdle => StreamIdleTimeoutSeconds == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(StreamIdleTimeoutSeconds);

    /// <summary>API keys accepted as <c>authorization: Bearer &lt;key&gt;</c> on inference and admin calls; empty = no authentication. Default none.</summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>TLS for the gRPC port; null = plain-text HTTP/2. Default null.</summary>
    public TlsOptions? Tls { get; set; }

    /// <summary>How long shutdown waits for in-flight calls to drain, in seconds. Default 30.</summary>
    [Range(0, 3600)]
    public int ShutdownTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// How long connections stay open once shutdown has ended every stream, so clients read the
    /// UNAVAILABLE that ends theirs before the connection closes, in milliseconds. Default 100.
    /// </summary>
    [Range(0, 60_000)]
    public int ShutdownGraceMilliseconds { get; set; } = 100;
}

/// <summary>Certificate files of the gRPC port.</summary>
public sealed class TlsOptions
{
    /// <summary>Server certificate chain, PEM. Required.</summary>
    [Required]
    public string CertificateFile { get; set; } = "";

    /// <summary>Private key of the certificate, PEM. Required.</summary>
    [Required]
    public string KeyFile { get; set; } = "";

    /// <summary>CA certificate(s), PEM; when set, clients must present a certificate issued by one of them (mutual TLS).</summary>
    public string? ClientCaFile { get; set; }
}
