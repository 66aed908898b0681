using Microsoft.Extensions.Time.Testing;
using SplitNet.Edge.RateControl;

namespace SplitNet.Edge.Tests;

public sealed class RateControllerTests
{
    // Coded bytes per frame of the shipped split model's five levels.
    private static readonly double[] LevelBytes = [8.4, 11.7, 17.4, 22.6, 42.6];

    /// <summary>
    /// A FIFO uplink of <c>capacity(t)</c> bytes per second with a fixed base RTT and server time;
    /// the camera produces a frame every 1/30 s; the controller picks each frame's level, and a
    /// frame that does not fit is re-coded one level lower. Returns (send time, level, latency).
    /// </summary>
    private static List<(double At, int Level, double Latency)> Simulate(
        RateController controller, double[] levelBytes, FakeTimeProvider clock, Func<double, double> capacity, double seconds, RateControlOptions options)
    {
        const double baseRtt = 0.004, server = 0.002;
        var origin = clock.GetUtcNow();
        var frames = new List<(double, int, double)>();
        var answers = new PriorityQueue<(double Sent, int Bytes, double At), double>();
        double linkFree = 0;
        for (int k = 0; k < seconds * options.FrameRate; k++)
        {
            double t = k / options.FrameRate;
            while (answers.TryPeek(out var due, out double at) && at <= t)
            {
                answers.Dequeue();
                clock.SetUtcNow(origin + TimeSpan.FromSeconds(at));
                controller.Answered(due.Bytes, TimeSpan.FromSeconds(at - due.Sent), TimeSpan.FromSeconds(server));
            }
            clock.SetUtcNow(origin + TimeSpan.FromSeconds(t));
            int level = controller.Level;
            int bytes = (int)Math.Round(levelBytes[level]);
            while (level > 0 && !controller.Fits(bytes))
            {
                level--;
                bytes = (int)Math.Round(levelBytes[level]);
            }
            controller.Sent(bytes);
            double start = Math.Max(t, linkFree);
            linkFree = start + (bytes + options.OverheadBytes) / capacity(t);
            double answered = linkFree + baseRtt + server;
            answers.Enqueue((t, bytes, answered), answered);
            frames.Add((t, level, answered - t));
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

        var frames = Simulate(pinned, top, clock, t => t < 10 ? 20_000 : 3_000, 20, options);

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
}
