using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace SplitNet.Server;

/// <summary>
/// The server's structured log events. Event ids are stable: dashboards key on them. Events a
/// client can cause at will (2, 3, 8) pass a <see cref="Telemetry.LogThrottle"/> first.
/// </summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Information, "Loaded model {ModelId} v{Version} from {Directory} on {Backend}")]
    public static partial void ModelLoaded(ILogger logger, string modelId, int version, string directory, Serving.ModelBackend backend);

    [LoggerMessage(2, LogLevel.Debug, "Frame for {ModelId} rejected with {Status}: {Reason} ({Suppressed} more rejections not logged before it)")]
    public static partial void FrameRejected(ILogger logger, string modelId, StatusCode status, string reason, long suppressed);

    [LoggerMessage(3, LogLevel.Information, "Stream from {Peer} ended after {Frames} frames ({Suppressed} more ended streams not logged before it)")]
    public static partial void StreamEnded(ILogger logger, string peer, long frames, long suppressed);

    [LoggerMessage(4, LogLevel.Error, "Inference failed for model {ModelId}")]
    public static partial void InferenceFailed(ILogger logger, string modelId, Exception exception);

    [LoggerMessage(5, LogLevel.Information, "Inference engine started with {Workers} worker(s), a queue of {Capacity} and batches of up to {MaxBatchSize}")]
    public static partial void EngineStarted(ILogger logger, int workers, int capacity, int maxBatchSize);

    [LoggerMessage(6, LogLevel.Information, "Ready: {Models} model version(s) loaded and warmed up in {Milliseconds:F0} ms")]
    public static partial void WarmedUp(ILogger logger, int models, double milliseconds);

    [LoggerMessage(7, LogLevel.Information, "Unloaded model {ModelId} v{Version} after its last in-flight request")]
    public static partial void ModelUnloaded(ILogger logger, string modelId, int version);

    [LoggerMessage(8, LogLevel.Warning, "Call {Method} from {Peer} refused: {Reason} ({Suppressed} more refusals not logged before it)")]
    public static partial void Unauthenticated(ILogger logger, string method, string peer, string reason, long suppressed);

    [LoggerMessage(9, LogLevel.Critical, "Start-up failed: the server cannot serve")]
    public static partial void StartupFailed(ILogger logger, Exception exception);

    [LoggerMessage(10, LogLevel.Information, "Shutting down: health is NOT_SERVING; {Streams} streams finish their frames and end with UNAVAILABLE")]
    public static partial void Draining(ILogger logger, int streams);

    [LoggerMessage(11, LogLevel.Warning, "Shutting down: {Streams} streams still open after {Seconds} s are cut with their connections")]
    public static partial void DrainTimedOut(ILogger logger, int streams, int seconds);
}
