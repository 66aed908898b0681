using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace SplitNet.Server;

/// <summary>The server's structured log events. Event ids are stable: dashboards key on them.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Information, "Loaded model {ModelId} v{Version} from {Directory}")]
    public static partial void ModelLoaded(ILogger logger, string modelId, int version, string directory);

    [LoggerMessage(2, LogLevel.Warning, "Frame {FrameId} rejected with {Status}: {Reason}")]
    public static partial void FrameRejected(ILogger logger, ulong frameId, StatusCode status, string reason);

    [LoggerMessage(3, LogLevel.Information, "Stream from {Peer} ended after {Frames} frames")]
    public static partial void StreamEnded(ILogger logger, string peer, long frames);

    [LoggerMessage(4, LogLevel.Error, "Inference failed for model {ModelId}")]
    public static partial void InferenceFailed(ILogger logger, string modelId, Exception exception);

    [LoggerMessage(5, LogLevel.Information, "Inference engine started with {Workers} worker(s) and a queue of {Capacity}")]
    public static partial void EngineStarted(ILogger logger, int workers, int capacity);

    [LoggerMessage(6, LogLevel.Information, "Inference workers warmed up on every model in {Milliseconds:F0} ms")]
    public static partial void WarmedUp(ILogger logger, double milliseconds);
}
