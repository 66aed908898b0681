using Grpc.Core;

namespace SplitNet.Server.Inference;

/// <summary>
/// The embedded frames of one stream waiting for their segments: a frame is answered when its
/// last segment arrives or when its wait ends, from the whole segments it has by then, so a slow
/// uplink costs refinement, not the answer. Segments arriving after that are dropped. A frame is
/// held to <paramref name="maxFrameBytes"/> as it grows, so refinements cannot pile up memory.
/// </summary>
internal sealed class SegmentedFrames(int maxFrameBytes)
{
    private readonly Dictionary<ulong, Frame> _waiting = [];

    /// <summary>
    /// Holds frame <paramref name="frameId"/> from its base segment until its
    /// <paramref name="segments"/> have arrived or <paramref name="wait"/> passes; returns the
    /// bytes of its whole segments in order and how many there were.
    /// </summary>
    public async Task<(byte[] Payload, int Segments)> AssembleAsync(ulong frameId, int segments, ReadOnlyMemory<byte> head, TimeSpan wait, CancellationToken cancellation)
    {
        var frame = new Frame(segments, head, maxFrameBytes);
        lock (_waiting)
        {
            if (!_waiting.TryAdd(frameId, frame))
            {
                throw new FrameException(StatusCode.InvalidArgument, $"frame {frameId} is already waiting for its segments");
            }
        }
        try
        {
            await frame.Complete.Task.WaitAsync(wait, cancellation).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The wait is over: answer from what arrived.
        }
        finally
        {
            lock (_waiting)
            {
                _waiting.Remove(frameId);
            }
        }
        return frame.Close();
    }

    /// <summary>
    /// Adds <paramref name="count"/> consecutive segments of a waiting frame, from
    /// <paramref name="segment"/> on; false when none waits for them (they are dropped).
    /// </summary>
    public bool Refine(ulong frameId, int segment, int count, ReadOnlyMemory<byte> bytes)
    {
        Frame? frame;
        lock (_waiting)
        {
            if (!_waiting.TryGetValue(frameId, out frame))
            {
                return false;
            }
        }
        return frame.Add(segment, count, bytes);
    }

    private sealed class Frame(int segments, ReadOnlyMemory<byte> head, int maxBytes)
    {
        private readonly List<ReadOnlyMemory<byte>> _parts = [head];
        private FrameException? _error;
        private long _bytes = head.Length;
        private int _segments = 1;
        private bool _closed;

        public TaskCompletionSource Complete { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Add(int segment, int count, ReadOnlyMemory<byte> bytes)
        {
            lock (_parts)
            {
                if (_closed)
                {
                    return false;
                }
                if (segment != _segments || count > segments - segment)
                {
                    _error ??= new FrameException(StatusCode.InvalidArgument, count == 1
                        ? $"segment {segment} arrived where segment {_segments} of {segments} was due"
                        : $"segments {segment} to {(long)segment + count - 1} arrived where segment {_segments} of {segments} was due");
                }
                else if ((_bytes += bytes.Length) > maxBytes)
                {
                    _error ??= new FrameException(StatusCode.ResourceExhausted, $"segments of {_bytes} bytes exceed the {maxBytes}-byte frame limit");
                }
                else
                {
                    _parts.Add(bytes);
                    _segments += count;
                }
                if (_error is not null || _segments == segments)
                {
                    Complete.TrySetResult();
                }
                return true;
            }
        }

        public (byte[] Payload, int Segments) Close()
        {
            lock (_parts)
            {
                _closed = true;
                if (_error is not null)
                {
                    throw _error;
                }
                var payload = new byte[_parts.Sum(p => p.Length)];
                int at = 0;
                foreach (var part in _parts)
                {
                    part.Span.CopyTo(payload.AsSpan(at));
                    at += part.Length;
                }
                return (payload, _segments);
            }
        }
    }
}
