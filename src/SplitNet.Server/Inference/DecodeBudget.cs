using Microsoft.Extensions.Options;

namespace SplitNet.Server.Inference;

/// <summary>
/// Bytes of decoded tensors (ŷ or features, float32) the server holds at once across every call:
/// a frame reserves its size before anything is allocated and gives it back once answered, so
/// many large requests at once are refused instead of growing memory without bound.
/// </summary>
internal sealed class DecodeBudget(IOptions<SplitNetServerOptions> options)
{
    private long _used;

    public long Capacity { get; } = options.Value.MaxDecodedBytesInFlight;

    /// <summary>Bytes reserved right now.</summary>
    public long Used => Interlocked.Read(ref _used);

    /// <summary>Reserves <paramref name="bytes"/>, or returns false with nothing reserved when that would pass the bound.</summary>
    public bool TryReserve(long bytes)
    {
        if (Interlocked.Add(ref _used, bytes) <= Capacity)
        {
            return true;
        }
        Interlocked.Add(ref _used, -bytes);
        return false;
    }

    public void Release(long bytes) => Interlocked.Add(ref _used, -bytes);
}
