using System.Diagnostics;

namespace SplitNet.Server.Telemetry;

/// <summary>The server's trace source: one <c>infer</c> span per frame, tagged with model, rate level, bytes and status.</summary>
internal static class ServerTracing
{
    public const string SourceName = "SplitNet.Server";

    public static readonly ActivitySource Source = new(SourceName);
}
