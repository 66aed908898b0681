using System.Globalization;

namespace SplitNet.Training.Student;

/// <summary>
/// The rungs of a variable-rate (Matryoshka) student: latent channel counts, ascending, the last
/// being all of them. Trained jointly, the first n channels of one latent are a valid latent for
/// every rung n, so one model serves every rate and a prefix of its channels is a lower rate.
/// </summary>
/// <remarks>
/// <see cref="RateWeights"/> multiply β for the channels each rung adds. Every image pays for all
/// channels but only the images drawn at rung i or above are helped by rung i's, so with one β a
/// channel of rung i costs as if β / P(rung ≥ i) bought it: β for the base, 8β for the top of an
/// eight-rung ladder. The information then gathers in the first channels and the rungs above add
/// bytes and little else. To give rung i the effective β<sub>i</sub> a single-rate student of that
/// rate would have, weight it β<sub>i</sub> · P(rung ≥ i) / β (rungs are drawn uniformly).
/// </remarks>
public sealed record ChannelLadder
{
    public ChannelLadder(int[] channels, double[]? rateWeights = null)
    {
        ArgumentNullException.ThrowIfNull(channels);
        if (channels.Length == 0 || channels[0] < 1 || channels.Zip(channels.Skip(1)).Any(p => p.Second <= p.First))
        {
            throw new ArgumentException($"A channel ladder is ascending and positive, not {string.Join(",", channels)}.", nameof(channels));
        }
        rateWeights ??= [.. channels.Select(_ => 1.0)];
        if (rateWeights.Length != channels.Length || rateWeights.Any(w => !(w > 0) || double.IsInfinity(w)))
        {
            throw new ArgumentException($"A ladder of {channels.Length} rungs takes {channels.Length} positive rate weights, not {string.Join(",", rateWeights)}.", nameof(rateWeights));
        }
        Channels = [.. channels];
        RateWeights = [.. rateWeights];
    }

    public int[] Channels { get; }

    /// <summary>Multiplier of β for the channels rung i adds (channels[i − 1] to channels[i]). Default all 1.</summary>
    public double[] RateWeights { get; }

    /// <summary>β per latent channel: each channel charged its rung's weight.</summary>
    public float[] ChannelBetas(double beta)
    {
        var betas = new float[Channels[^1]];
        for (int rung = 0, c = 0; rung < Channels.Length; rung++)
        {
            for (; c < Channels[rung]; c++)
            {
                betas[c] = (float)(beta * RateWeights[rung]);
            }
        }
        return betas;
    }

    /// <summary>Parses <c>1,2,4,8,16</c> and, optionally, one rate weight per rung (<c>8,4,2,1,1</c>).</summary>
    public static ChannelLadder Parse(string text, string? rateWeights = null) =>
        new([.. Split(text).Select(s => int.Parse(s, CultureInfo.InvariantCulture))],
            rateWeights is null ? null : [.. Split(rateWeights).Select(s => double.Parse(s, CultureInfo.InvariantCulture))]);

    public bool Equals(ChannelLadder? other) =>
        other is not null && Channels.AsSpan().SequenceEqual(other.Channels) && RateWeights.AsSpan().SequenceEqual(other.RateWeights);

    public override int GetHashCode() => Channels.Aggregate(Channels.Length, HashCode.Combine);

    public override string ToString() =>
        RateWeights.All(w => w == 1) ? string.Join(",", Channels) : $"{string.Join(",", Channels)} × β·{string.Join(",", RateWeights.Select(w => w.ToString(CultureInfo.InvariantCulture)))}";

    private static string[] Split(string text) => text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
