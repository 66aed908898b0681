using Microsoft.Extensions.Time.Testing;
using SplitNet.Edge.RateControl;

namespace SplitNet.Edge.Tests;

public sealed class RateControllerTests
{
    // Coded bytes per frame of the shipped split model's five levels.
    private static readonly double[] LevelBytes = [8.4, 11.7, 17.4, 22.6, 42.6];

    /// <summary>
    /// A FIFO uplink of <c>capacity(t)</c> bytes per second with a fixed base RTT and server time;
    /// the camera produces a frame every 1/30 s; the controller picks each frame's level, a frame
    /// that does not fit is re-coded one level lower, and one that does not fit at level 0 is held
    /// back (level −1, latency infinite) unless <paramref name="holdBack"/> is off. A frame above
    /// level 0 goes in <paramref name="segmentMessages"/> messages, each paying the framing, when the
    /// controller affords them (always, with <paramref name="afford"/> off), else in one. Returns
    /// (capture time, level sent, latency, the controller's level, messages).
    /// </summary>
    private static List<(double At, int Level, double Latency, int Target, int Messages)> Simulate(
        RateController controller, double[] levelBytes, FakeTimeProvider clock, Func<double, double> capacity, double seconds, RateControlOptions options,
        bool holdBack = true, int segmentMessages = 1, bool afford = true)
    {
        const double baseRtt = 0.004, server = 0.002;
        var origin = clock.GetUtcNow();
        var frames = new List<(double, int, double, int, int)>();
        var answers = new PriorityQueue<(double Sent, int Bytes, int Messages, double At), double>();
        double linkFree = 0;
        for (int k = 0; k < seconds * options.FrameRate; k++)
        {
            double t = k / options.FrameRate;
            while (answers.TryPeek(out var due, out double at) && at <= t)
            {
                answers.Dequeue();
                clock.SetUtcNow(origin + TimeSpan.FromSeconds(at));
                controller.Answered(due.Bytes, TimeSpan.FromSeconds(at - due.Sent), TimeSpan.FromSeconds(server), due.Messages);
            }
            clock.SetUtcNow(origin + TimeSpan.FromSeconds(t));
            int target = controller.Level, level = target;
            int bytes = (int)Math.Round(levelBytes[level]);
            while (level > 0 && !controller.Fits(bytes))
            {
                level--;
                bytes = (int)Math.Round(levelBytes[level]);
            }
            if (holdBack && !controller.Fits(bytes))
            {
                frames.Add((t, -1, double.PositiveInfinity, target, 0));
                continue;
            }
            int messages = level > 0 && (!afford || controller.Affords(bytes, segmentMessages)) ? segmentMessages : 1;
            controller.Sent(bytes, messages);
            double start = Math.Max(t, linkFree);
            linkFree = start + (bytes + messages * options.OverheadBytes) / capacity(t);
            double answered = linkFree + baseRtt + server;
            answers.Enqueue((t, bytes, messages, answered), answered);
            frames.Add((t, level, answered - t, target, messages));
        }
        return frames;
    }

    [Fact]
    public void UplinkDropsTenfold_ControllerMovesDownAndFramesStillMeetTheDeadline()
    {
        var options = new RateControlOptions();
        var clock = new FakeTimeProvider();
        var controller = new RateController(LevelBytes, startLevel: 2, options, clock);

        var frames = Simulate(controller, LevelBytes, clock, t => t < 10 ? 20_000 : 3_000, 20, options);

        var before = frames.Where(f => f.At is > 5 and < 10).ToList();
        var after = frames.Where(f => f.At > 12).ToList();
        Assert.Equal(LevelBytes.Length - 1, before.Max(f => f.Level));
        Assert.True(after.Average(f => f.Level) < 1.5, $"mean level after the drop {after.Average(f => f.Level):F2}");
        double met = after.Count(f => f.Latency <= options.Deadline.TotalSeconds) / (double)after.Count;
        Assert.True(met >= 0.95, $"{met:P1} of frames met the deadline after the drop");
    }

    [Fact]
    public void SameDropWithoutControl_FramesMissTheirDeadline()
    {
        // The control case: staying at the top level on the slow link queues without bound.
        var options = new RateControlOptions();
        var clock = new FakeTimeProvider();
        double[] top = [LevelBytes[^1]];
        var pinned = new RateController(top, startLevel: 0, options, clock);

        var frames = Simulate(pinned, top, clock, t => t < 10 ? 20_000 : 3_000, 20, options, holdBack: false);

        var after = frames.Where(f => f.At > 12).ToList();
        Assert.True(after.Count(f => f.Latency <= options.Deadline.TotalSeconds) / (double)after.Count < 0.5);
    }

    [Fact]
    public void LinkRecovers_ControllerProbesBackUp()
    {
        var options = new RateControlOptions();
        var clock = new FakeTimeProvider();
        var controller = new RateController(LevelBytes, startLevel: 4, options, clock);

        var frames = Simulate(controller, LevelBytes, clock, t => t is > 2 and < 8 ? 3_000 : 20_000, 20, options);

        Assert.True(frames.Where(f => f.At is > 5 and < 8).Max(f => f.Level) <= 1);
        Assert.Equal(LevelBytes.Length - 1, frames.Where(f => f.At > 16).Min(f => f.Level));
    }

    [Fact]
    public void LinkBelowTheLowestLevel_FramesThatCannotMakeItAreHeldBack_TheRestMeetTheDeadline()
    {
        // After the drop even level 0 (30 × 88 B/s) overfills the link: sending every frame would
        // queue without bound and every later frame would miss.
        var options = new RateControlOptions();
        var clock = new FakeTimeProvider();
        var controller = new RateController(LevelBytes, startLevel: 4, options, clock);

        var frames = Simulate(controller, LevelBytes, clock, t => t < 10 ? 20_000 : 2_000, 40, options);

        var after = frames.Where(f => f.At > 12).ToList();
        var sent = after.Where(f => f.Level >= 0).ToList();
        double met = after.Count(f => f.Latency <= options.Deadline.TotalSeconds) / (double)after.Count;
        double sentMet = sent.Count(f => f.Latency <= options.Deadline.TotalSeconds) / (double)sent.Count;
        Assert.True(sent.Count < after.Count, "no frame was held back");
        Assert.True(sentMet >= 0.95, $"{sentMet:P1} of the frames sent met the deadline");
        // Sending every frame, none would (the queue grows by a quarter of the demand each second).
        Assert.True(met >= 0.4, $"{met:P1} of all frames met the deadline");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SegmentsGoOnlyWhereTheLinkHasRoomForTheirFraming(bool afford)
    {
        // A base and one refinement message cost two framings. After the drop one message at level 4
        // fits (30 × 123 B/s within 0.8 × 5 kB/s) but two do not (30 × 203 B/s): a controller that
        // affords segments sends frames whole there; one that sends segments regardless is
        // congested by the framing its level estimate did not count.
        var options = new RateControlOptions();
        var clock = new FakeTimeProvider();
        var controller = new RateController(LevelBytes, startLevel: 4, options, clock);

        var frames = Simulate(controller, LevelBytes, clock, t => t < 10 ? 20_000 : 5_000, 30, options, segmentMessages: 2, afford: afford);

        var before = frames.Where(f => f.At is > 5 and < 10).ToList();
        var after = frames.Where(f => f.At > 20).ToList();
        double met = after.Count(f => f.Latency <= options.Deadline.TotalSeconds) / (double)after.Count;
        Assert.All(before, f => Assert.Equal(2, f.Messages));
        if (afford)
        {
            Assert.True(after.Count(f => f.Messages == 2) <= after.Count / 10, $"{after.Count(f => f.Messages == 2)} of {after.Count} frames in segments after the drop");
            Assert.True(after.Average(f => f.Level) >= 3, $"mean level after the drop {after.Average(f => f.Level):F2}");
            Assert.True(met >= 0.95, $"{met:P1} of frames met the deadline after the drop");
        }
        else
        {
            Assert.True(after.Average(f => f.Level) < 3 && met < 0.95, $"mean level {after.Average(f => f.Level):F2}, {met:P1} met");
        }
    }

    [Fact]
    public void ProbesAboveAStillSlowLink_BackOffExponentially()
    {
        // A link that carries levels 0–1 and queues (0.2 s) whenever more is sent: every probe to
        // level 2 fails. The old estimate is retried after the memory, which each failure doubles.
        var options = new RateControlOptions();
        var clock = new FakeTimeProvider();
        var controller = new RateController(LevelBytes, startLevel: 1, options, clock);
        var origin = clock.GetUtcNow();
        var answers = new PriorityQueue<(double Sent, int Bytes), double>();
        var probes = new List<double>();
        int previous = controller.Level;
        for (int k = 0; k < 150 * options.FrameRate; k++)
        {
            double t = k / options.FrameRate;
            while (answers.TryPeek(out var due, out double at) && at <= t)
            {
                answers.Dequeue();
                clock.SetUtcNow(origin + TimeSpan.FromSeconds(at));
                controller.Answered(due.Bytes, TimeSpan.FromSeconds(at - due.Sent), TimeSpan.FromMilliseconds(2));
            }
            clock.SetUtcNow(origin + TimeSpan.FromSeconds(t));
            int level = controller.Level;
            if (level == 2 && previous < 2)
            {
                probes.Add(t);
            }
            previous = level;
            int bytes = (int)Math.Round(LevelBytes[level]);
            controller.Sent(bytes);
            answers.Enqueue((t, bytes), t + (level >= 2 ? 0.2 : 0.01));
        }

        // The first move to level 2 is the start-up climb (no capacity known yet), the rest are probes.
        var gaps = probes.Skip(1).Zip(probes.Skip(2), (a, b) => b - a).ToList();
        Assert.True(gaps.Count >= 3, $"{probes.Count} moves to level 2 in 150 s");
        for (int i = 1; i < gaps.Count; i++)
        {
            Assert.True(gaps[i] > 1.6 * gaps[i - 1], $"gaps between failed probes {string.Join(", ", gaps.Select(g => g.ToString("F1")))} s do not double");
        }
        Assert.True(gaps[0] >= options.CapacityMemory.TotalSeconds, $"first gap {gaps[0]:F1} s");
    }
}
