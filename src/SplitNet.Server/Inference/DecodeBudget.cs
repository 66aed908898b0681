using System.Buffers;
using System.Numerics;
using Microsoft.Extensions.Options;

namespace SplitNet.Server.Inference;

/// <summary>
/// The buffers decoded frames (ŷ or features, float32) live in, and a bound on their bytes across
/// every call: a frame reserves its buffer before anything is allocated and gives it back once
/// answered, so many large requests at once are refused instead of growing memory without bound.
/// Buffers come from a pool: large features would otherwise churn the large-object heap.
/// </summary>
internal sealed class DecodeBudget(IOptions<SplitNetServerOptions> options)
{
    private long _used;

    public long Capacity { get; } = options.Value.MaxDecodedBytesInFlight;

    /// <summary>Bytes reserved right now.</summary>
    public long Used => Interlocked.Read(ref _used);

    /// <summary>A buffer of at least <paramref name="elements"/> values, or false with nothing reserved when it would pass the bound.</summary>
    public bool TryRent(long elements, out DecodedBuffer buffer)
    {
        // The pool hands out power-of-two lengths: reserve what will really be held.
        long bytes = 4 * (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(elements, 16));
        if (Interlocked.Add(ref _used, bytes) > Capacity)
        {
            Interlocked.Add(ref _used, -bytes);
            buffer = default;
            return false;
        }
        buffer = new DecodedBuffer(ArrayPool<float>.Shared.Rent((int)elements), bytes);
        return true;
    }

    public void Return(DecodedBuffer buffer)
    {
        ArrayPool<float>.Shared.Return(buffer.Values);
        Interlocked.Add(ref _used, -buffer.Reserved);
    }
}

/// <summary>A pooled buffer and the bytes reserved for it.</summary>
internal readonly record struct DecodedBuffer(float[] Values, long Reserved);
