using System.Diagnostics;
using Grpc.Core;
using HdrHistogram;
using SplitNet.Contracts.V1;
using SplitNet.Edge;

namespace SplitNet.LoadTest;

/// <summary>
/// Drives a server with <see cref="LoadProfile.Streams"/> long-lived streams of pre-coded frames
/// (so the edge encoder's cost stays out of the measurement) and accounts every answer.
/// </summary>
public static class LoadGenerator
{
    public static async Task<LoadResult> RunAsync(
        SplitInference.SplitInferenceClient client,
        StreamOpen? open,
        IReadOnlyList<LoadFrame> frames,
        LoadProfile profile,
        IProgress<double>? progress = null,
        CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfZero(frames.Count);
        long start = Stopwatch.GetTimestamp();
        long measureFrom = start + Ticks(profile.WarmUp);
        long end = measureFrom + Ticks(profile.Duration);
        var streams = Enumerable.Range(0, profile.Streams)
            .Select(s => Task.Run(() => RunStreamAsync(client, open, frames, profile, s, measureFrom, end, cancellation), cancellation))
            .ToArray();
        using (var ticker = new PeriodicTimer(TimeSpan.FromMilliseconds(250)))
        {
            while (!Task.WhenAll(streams).IsCompleted && await ticker.WaitForNextTickAsync(cancellation).ConfigureAwait(false))
            {
                progress?.Report(Math.Min(1, Stopwatch.GetElapsedTime(start).TotalSeconds / (profile.WarmUp + profile.Duration).TotalSeconds));
            }
        }
        var tallies = await Task.WhenAll(streams).ConfigureAwait(false);
        return Tally.Combine(tallies, Stopwatch.GetElapsedTime(measureFrom, end).TotalSeconds, profile.FrameTimeoutMicros);
    }

    private static async Task<Tally> RunStreamAsync(
        SplitInference.SplitInferenceClient client, StreamOpen? open, IReadOnlyList<LoadFrame> frames,
        LoadProfile profile, int stream, long measureFrom, long end, CancellationToken cancellation)
    {
        var tally = new Tally(measureFrom, (int)Math.Ceiling(profile.Duration.TotalSeconds), profile.FrameTimeoutMicros);
        await using var session = new StreamingSession(client, profile.Window, open, cancellation);
        var answers = new List<Task>();
        double interval = profile.Rate is { } rate ? profile.Streams / rate : 0;
        var schedule = new ArrivalSchedule(interval, profile.Arrivals, new Random(profile.Seed + stream));
        long first = Stopwatch.GetTimestamp() + (long)(interval * Stopwatch.Frequency * stream / profile.Streams);
        for (ulong id = 0; ; id++)
        {
            // Open loop: latency counts from the scheduled time, however late the frame went out.
            long sent = interval > 0 ? first + (long)(schedule.Next() * Stopwatch.Frequency) : Stopwatch.GetTimestamp();
            if (sent >= end)
            {
                break;
            }
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), sent);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellation).ConfigureAwait(false);
            }
            var frame = frames[(int)((id * (ulong)profile.Streams + (ulong)stream) % (ulong)frames.Count)];
            bool measured = sent >= measureFrom;
            var answer = await session.SendAsync(id, frame.Payload, frame.RateLevel, cancellation, profile.FrameTimeoutMicros, frame.LatentLength).ConfigureAwait(false);
            if (measured)
            {
                tally.Sent++;
                answers.Add(RecordAsync(answer, sent, tally));
            }
        }
        await session.CompleteAsync().ConfigureAwait(false);
        await Task.WhenAll(answers).ConfigureAwait(false);
        return tally;
    }

    private static async Task RecordAsync(Task<InferResponse> answer, long sent, Tally tally)
    {
        string status;
        long serverMicros = 0;
        try
        {
            var response = await answer.ConfigureAwait(false);
            status = response.Error is null ? nameof(StatusCode.OK) : ((StatusCode)response.Error.Code).ToString();
            serverMicros = response.ServerMicros;
        }
        catch (RpcException e)
        {
            status = $"stream:{e.StatusCode}";
        }
        long micros = Math.Max(1, (long)Stopwatch.GetElapsedTime(sent).TotalMicroseconds);
        tally.Record(status, sent, micros, serverMicros);
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    /// <summary>One stream's counts; answers complete on the thread pool, so recording takes a lock.</summary>
    private sealed class Tally
    {
        private readonly object _gate = new();
        private readonly long _measureFrom;
        private readonly uint _timeoutMicros;
        public long Sent;
        public readonly long[] GoodPerSecond;
        public readonly Dictionary<string, long> Statuses = [];
        public readonly LongHistogram Ok = new(600_000_000, 3);
        public readonly LongHistogram Rejected = new(600_000_000, 3);
        public readonly LongHistogram ServerOk = new(600_000_000, 3);
        public readonly LongHistogram ServerRejected = new(600_000_000, 3);

        public Tally(long measureFrom, int seconds, uint timeoutMicros)
        {
            _measureFrom = measureFrom;
            _timeoutMicros = timeoutMicros;
            GoodPerSecond = new long[seconds];
        }

        public void Record(string status, long sent, long micros, long serverMicros)
        {
            lock (_gate)
            {
                if (status == nameof(StatusCode.OK) && (_timeoutMicros == 0 || micros <= _timeoutMicros))
                {
                    GoodPerSecond[Math.Min(GoodPerSecond.Length - 1, (int)((sent - _measureFrom) / Stopwatch.Frequency))]++;
                }
                Statuses[status] = Statuses.GetValueOrDefault(status) + 1;
                var (client, server) = status switch
                {
                    nameof(StatusCode.OK) => (Ok, ServerOk),
                    nameof(StatusCode.ResourceExhausted) => (Rejected, ServerRejected),
                    _ => (null, null),
                };
                client?.RecordValue(micros);
                if (serverMicros > 0)
                {
                    server?.RecordValue(serverMicros);
                }
            }
        }

        public static LoadResult Combine(IReadOnlyList<Tally> tallies, double seconds, uint timeoutMicros)
        {
            var ok = new LongHistogram(600_000_000, 3);
            var rejected = new LongHistogram(600_000_000, 3);
            var serverOk = new LongHistogram(600_000_000, 3);
            var serverRejected = new LongHistogram(600_000_000, 3);
            var statuses = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var tally in tallies)
            {
                ok.Add(tally.Ok);
                rejected.Add(tally.Rejected);
                serverOk.Add(tally.ServerOk);
                serverRejected.Add(tally.ServerRejected);
                foreach (var (status, count) in tally.Statuses)
                {
                    statuses[status] = statuses.GetValueOrDefault(status) + count;
                }
            }
            var goodPerSecond = new long[tallies[0].GoodPerSecond.Length];
            foreach (var tally in tallies)
            {
                for (int i = 0; i < goodPerSecond.Length; i++)
                {
                    goodPerSecond[i] += tally.GoodPerSecond[i];
                }
            }
            long answered = statuses.Values.Sum();
            long okCount = statuses.GetValueOrDefault(nameof(StatusCode.OK));
            return new LoadResult(seconds, tallies.Sum(t => t.Sent), statuses, okCount / seconds,
                LatencySummary.FromMicros(ok), LatencySummary.FromMicros(rejected), Within(ok, timeoutMicros),
                LatencySummary.FromMicros(serverOk), LatencySummary.FromMicros(serverRejected), Within(serverOk, timeoutMicros),
                tallies.Sum(t => t.Sent) - answered, goodPerSecond.Sum() / seconds, goodPerSecond);
        }

        private static double Within(LongHistogram micros, uint timeoutMicros)
        {
            if (timeoutMicros == 0 || micros.TotalCount == 0)
            {
                return 1;
            }
            long within = micros.RecordedValues().Where(v => v.ValueIteratedTo <= timeoutMicros).Sum(v => v.CountAtValueIteratedTo);
            return (double)within / micros.TotalCount;
        }
    }
}
