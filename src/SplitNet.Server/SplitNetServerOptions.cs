using System.ComponentModel.DataAnnotations;

namespace SplitNet.Server;

/// <summary>Settings of the server daemon, bound from the <c>SplitNet:Server</c> configuration section.</summary>
public sealed class SplitNetServerOptions
{
    public const string SectionName = "SplitNet:Server";

    /// <summary>Teacher bundle folders to serve (each a manifest.json + safetensors). Required.</summary>
    [MinLength(1)]
    public List<string> Models { get; set; } = [];

    /// <summary>Frames that may wait for an inference worker before new ones are refused with RESOURCE_EXHAUSTED. Default 1024.</summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 1024;

    /// <summary>Dedicated inference threads. Default 1 (libtorch already uses every core for one batch).</summary>
    [Range(1, 64)]
    public int Workers { get; set; } = 1;

    /// <summary>Largest accepted gRPC message in bytes; larger ones end the call with RESOURCE_EXHAUSTED. Default 1 MiB.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxReceiveMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest accepted feature payload in bytes; larger frames fail with RESOURCE_EXHAUSTED. Default 256 KiB.</summary>
    [Range(64, 64 * 1024 * 1024)]
    public int MaxFrameBytes { get; set; } = 256 * 1024;

    /// <summary>Frames of one stream being processed at once before the server stops reading that stream. Default 256.</summary>
    [Range(1, 65536)]
    public int MaxInFlightPerStream { get; set; } = 256;
}
