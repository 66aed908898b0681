using System.Threading.Channels;
using HdrHistogram;
using SplitNet.Edge.Resilience;
using SplitNet.Edge.Sources;
using SplitNet.Models.Split;

namespace SplitNet.Edge;

/// <summary>
/// Runs a source of images through the split: the head runs on a dedicated encoder thread
/// (TorchSharp scopes are per thread) at the camera's pace or as fast as the window allows, the
/// rate controller picks each frame's level, confident frames are answered by the early-exit head,
/// the rest go through the <see cref="EdgeClient"/>, and every frame ends exactly once.
/// </summary>
public static class EdgeRunner
{
    /// <summary>A captured frame; <paramref name="Frame"/> is null when the rate controller held it back.</summary>
    private sealed record Captured(long Index, int Label, EncodedFrame? Frame, long At);

    public static async Task<EdgeReport> RunAsync(
        IFrameEncoder head,
        EdgeClient client,
        IFrameSource source,
        EdgeRunOptions options,
        EdgeMetrics? metrics = null,
        Action<FrameOutcome>? onFrame = null,
        CancellationToken cancellation = default)
    {
        var captured = Channel.CreateBounded<Captured>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        var clock = options.Clock;
        long start = clock.GetTimestamp();
        long dropped = 0;
        var encoder = new Thread(() => dropped = Capture(head, source, options, captured.Writer, start, cancellation))
        {
            IsBackground = true,
            Name = "splitnet-edge-encoder",
        };
        var tally = new Tally(options.Deadline, head.Levels);
        await client.ConnectAsync(TimeSpan.FromSeconds(2), cancellation).ConfigureAwait(false);
        encoder.Start();
        var answers = new List<Task>();
        await foreach (var frame in captured.Reader.ReadAllAsync(cancellation).ConfigureAwait(false))
        {
            if (frame.Frame is not { } encoded)
            {
                Ended(frame, new EdgeAnswer((ulong)frame.Index, AnswerSource.None, -1, 0, NotSent, 0, null), 0, 0, 0);
                continue;
            }
            var exit = encoded.EarlyExit;
            if (options.EarlyExitThreshold is { } tau && exit is not null && exit.Max() >= tau)
            {
                Ended(frame, EdgeAnswer.Local((ulong)frame.Index, AnswerSource.EarlyExit, exit), 0, 0, 0);
                continue;
            }
            int payload = encoded.Payload.Length;
            var messages = client.Messages((ulong)frame.Index, encoded);
            if (messages.Length > 1 && options.RateControl is { } control && !control.Affords(payload, messages.Length))
            {
                // Each message pays its framing: on a link without room for it the frame goes whole.
                encoded = encoded.Whole();
                messages = client.Messages((ulong)frame.Index, encoded);
            }
            int count = messages.Length, message = messages.Sum(m => m.CalculateSize());
            options.RateControl?.Sent(payload, count);
            metrics?.Sent(payload, encoded.RateLevel);
            var answer = await client.SubmitAsync((ulong)frame.Index, encoded, exit, cancellation).ConfigureAwait(false);
            answers.Add(answer.ContinueWith(t => Ended(frame, t.Result, payload, message, count), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));
        }
        await Task.WhenAll(answers).ConfigureAwait(false);
        encoder.Join();
        return tally.Report(clock.GetElapsedTime(start).TotalSeconds, dropped, client);

        void Ended(Captured frame, EdgeAnswer answer, int payload, int message, int messages)
        {
            var latency = clock.GetElapsedTime(frame.At);
            if (payload > 0)
            {
                options.RateControl?.Answered(payload, latency, TimeSpan.FromMicroseconds(answer.ServerMicros), messages);
            }
            metrics?.Ended(answer, latency);
            // A frame sent in segments may be answered from fewer of them: its level is the answer's.
            uint level = answer.Source == AnswerSource.Server ? answer.RateLevel : frame.Frame?.RateLevel ?? 0;
            var outcome = new FrameOutcome(frame.Index, frame.Label, answer, payload, message, level, latency,
                clock.GetElapsedTime(start, frame.At).TotalSeconds);
            tally.Add(outcome);
            onFrame?.Invoke(outcome);
        }
    }

    /// <summary>The encoder thread: captures on schedule, picks the level, codes; returns frames dropped at capture.</summary>
    private static long Capture(IFrameEncoder head, IFrameSource source, EdgeRunOptions options, ChannelWriter<Captured> output, long start, CancellationToken cancellation)
    {
        long dropped = 0;
        var clock = options.Clock;
        try
        {
            // The first forward on a thread pays libtorch's one-time set-up; keep it out of the latencies.
            head.Encode(source.Input(0));
            long end = options.Duration is { } d ? start + (long)(d.TotalSeconds * clock.TimestampFrequency) : long.MaxValue;
            for (long k = 0; !cancellation.IsCancellationRequested; k++)
            {
                if (options.Duration is null && k >= source.Count)
                {
                    break;
                }
                long at = clock.GetTimestamp();
                if (options.FrameRate is { } fps)
                {
                    at = start + (long)(k / fps * clock.TimestampFrequency);
                    var wait = clock.GetElapsedTime(clock.GetTimestamp(), at);
                    if (wait > TimeSpan.Zero)
                    {
                        // Uncancelled: a cancelled wait would throw on this thread; the loop checks the token next.
                        Task.Delay(wait, clock).Wait();
                    }
                }
                if (at >= end)
                {
                    break;
                }
                int index = (int)(k % source.Count);
                var frame = Encode(head, source.Input(index), options);
                var item = new Captured(k, source.Label(index), frame, at);
                if (options.FrameRate is null)
                {
                    // A dataset: waiting here is the backpressure of the window.
                    output.WriteAsync(item, cancellation).AsTask().GetAwaiter().GetResult();
                }
                else if (!output.TryWrite(item))
                {
                    dropped++;
                }
            }
        }
        finally
        {
            output.TryComplete();
        }
        return dropped;
    }

    /// <summary>The failure of a frame the rate controller held back.</summary>
    public const string NotSent = "not sent: the uplink's backlog would pass its deadline even at the lowest level";

    private static EncodedFrame? Encode(IFrameEncoder head, SplitInput input, EdgeRunOptions options)
    {
        if (options.RateControl is not { } control)
        {
            return head.Encode(input);
        }
        head.RateLevel = (uint)control.Level;
        var frame = head.Encode(input);
        // The exact size is known now: a frame that would miss its deadline goes one level lower,
        // cut from the same bytes when the model is embedded, coded again when not.
        while (frame.RateLevel > 0 && !control.Fits(frame.Payload.Length))
        {
            if (frame.IsEmbedded)
            {
                frame = frame.AtLevel(frame.RateLevel - 1);
                continue;
            }
            head.RateLevel = frame.RateLevel - 1;
            frame = head.Encode(input);
        }
        // Sent, it could not be answered in time and would delay the frames behind it.
        return frame.RateLevel == 0 && !control.Fits(frame.Payload.Length) ? null : frame;
    }

    private sealed class Tally(TimeSpan deadline, int levels)
    {
        private readonly object _gate = new();
        private readonly LongHistogram _latency = new(600_000_000, 3);
        private readonly Dictionary<string, int> _sources = [];
        private readonly int[] _levels = new int[levels];
        private readonly Dictionary<int, (int Frames, int Met, long LevelSum, int Sent, long Bytes)> _seconds = [];
        private int _frames, _failed, _labelled, _correct, _met;
        private long _payload, _message;

        public void Add(FrameOutcome o)
        {
            lock (_gate)
            {
                _frames++;
                bool met = o.Answer.Succeeded && o.Latency <= deadline;
                _met += met ? 1 : 0;
                var source = o.Answer.Source.ToString();
                _sources[source] = _sources.GetValueOrDefault(source) + 1;
                if (!o.Answer.Succeeded)
                {
                    _failed++;
                }
                else
                {
                    _latency.RecordValue(Math.Max(1, (long)o.Latency.TotalMicroseconds));
                }
                if (o.Label >= 0)
                {
                    _labelled++;
                    _correct += o.Answer.ClassId == o.Label ? 1 : 0;
                }
                _payload += o.PayloadBytes;
                _message += o.MessageBytes;
                int second = (int)o.Captured;
                var s = _seconds.GetValueOrDefault(second);
                bool sent = o.PayloadBytes > 0;
                if (sent)
                {
                    _levels[Math.Min(o.Level, (uint)_levels.Length - 1)]++;
                }
                _seconds[second] = (s.Frames + 1, s.Met + (met ? 1 : 0), s.LevelSum + (sent ? o.Level : 0), s.Sent + (sent ? 1 : 0), s.Bytes + o.PayloadBytes);
            }
        }

        public EdgeReport Report(double seconds, long dropped, EdgeClient client)
        {
            lock (_gate)
            {
                var timeline = _seconds.OrderBy(p => p.Key)
                    .Select(p => new TimelineSecond(p.Key, p.Value.Frames, (double)p.Value.Met / p.Value.Frames,
                        p.Value.Sent == 0 ? 0 : (double)p.Value.LevelSum / p.Value.Sent, p.Value.Bytes))
                    .ToList();
                return new EdgeReport(_frames, _failed, _labelled == 0 ? 0 : (double)_correct / _labelled,
                    _frames == 0 ? 0 : (double)_payload / _frames, _frames == 0 ? 0 : (double)_message / _frames,
                    LatencySummary.FromMicros(_latency), _frames / seconds, seconds, _frames == 0 ? 0 : (double)_met / _frames,
                    new Dictionary<string, int>(_sources), [.. _levels], dropped, client.Retries, client.Failovers, client.Duplicates, timeline);
            }
        }
    }
}
