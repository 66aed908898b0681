namespace SplitNet.Fleet.Tests;

public sealed class ArrivalScheduleTests
{
    [Fact]
    public void Constant_IsEvenlySpacedFromZero()
    {
        var schedule = new ArrivalSchedule(0.25, Arrivals.Constant, new Random(1));

        Assert.Equal([0, 0.25, 0.5, 0.75], Enumerable.Range(0, 4).Select(_ => schedule.Next()));
    }

    [Fact]
    public void Poisson_HasTheMeanRate_ExponentialGaps_AndIsReproducibleFromItsSeed()
    {
        const int n = 20_000;
        var times = Enumerable.Range(0, n + 1).Select(_ => 0.0).ToArray();
        var schedule = new ArrivalSchedule(0.01, Arrivals.Poisson, new Random(7));
        for (int i = 0; i <= n; i++)
        {
            times[i] = schedule.Next();
        }
        var gaps = times.Zip(times.Skip(1), (a, b) => b - a).ToArray();
        double mean = gaps.Average(), sd = Math.Sqrt(gaps.Select(g => (g - mean) * (g - mean)).Average());

        Assert.InRange(mean, 0.0097, 0.0103);
        // An exponential's standard deviation equals its mean (constant gaps would give 0).
        Assert.InRange(sd / mean, 0.95, 1.05);
        var again = new ArrivalSchedule(0.01, Arrivals.Poisson, new Random(7));
        Assert.Equal(times.Take(10), Enumerable.Range(0, 10).Select(_ => again.Next()));
    }
}
