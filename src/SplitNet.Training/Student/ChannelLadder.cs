using System.Globalization;

namespace SplitNet.Training.Student;

/// <summary>
/// The rungs of a variable-rate (Matryoshka) student: latent channel counts, ascending, the last
/// being all of them. Trained jointly, the first n channels of one latent are a valid latent for
/// every rung n, so one model serves every rate and a prefix of its channels is a lower rate.
/// </summary>
/// <remarks>
/// <para>
/// Each training image's decoder sees the first n channels for a rung n drawn uniformly; with
/// <see cref="Sandwich"/> it sees them all as well (the top rung on every image, a lower rung drawn
/// uniformly beside it: the sandwich rule of slimmable networks), so the top rung is trained on
/// every image instead of one in n.
/// </para>
/// <para>
/// Every image pays for every channel, but rung i's channels help only in the share
/// <see cref="Visibility"/> of the decoder passes that see them, so a rate weight β' on them buys
/// what β' / share would buy a single-rate student. <see cref="RungBetas"/> states the β a
/// single-rate student of each rung's rate would be trained at, and <see cref="ChannelBetas"/>
/// charges each channel that β times its share. Without them one β for every channel makes the
/// upper rungs' channels dear (8β at the top of eight uniform rungs): the information then gathers
/// in the first channels and the rungs above add bytes and little else.
/// </para>
/// </remarks>
public sealed record ChannelLadder
{
    public ChannelLadder(int[] channels, double[]? rungBetas = null, bool sandwich = false)
    {
        ArgumentNullException.ThrowIfNull(channels);
        if (channels.Length == 0 || channels[0] < 1 || channels.Zip(channels.Skip(1)).Any(p => p.Second <= p.First))
        {
            throw new ArgumentException($"A channel ladder is ascending and positive, not {string.Join(",", channels)}.", nameof(channels));
        }
        if (rungBetas is not null && (rungBetas.Length != channels.Length || rungBetas.Any(b => !(b > 0) || double.IsInfinity(b))))
        {
            throw new ArgumentException($"A ladder of {channels.Length} rungs takes {channels.Length} positive rate weights β, not {string.Join(",", rungBetas)}.", nameof(rungBetas));
        }
        if (sandwich && channels.Length < 2)
        {
            throw new ArgumentException("The sandwich rule needs a rung below the top.", nameof(sandwich));
        }
        Channels = [.. channels];
        RungBetas = rungBetas is null ? null : [.. rungBetas];
        Sandwich = sandwich;
    }

    public int[] Channels { get; }

    /// <summary>The effective β of each rung: what a single-rate student of its rate would be trained at. Null: one β for every channel.</summary>
    public double[]? RungBetas { get; }

    /// <summary>Every image also trains the top rung (a second decoder pass), beside a lower rung drawn uniformly.</summary>
    public bool Sandwich { get; }

    /// <summary>The share of an image's decoder passes that see rung <paramref name="rung"/>'s channels.</summary>
    public double Visibility(int rung)
    {
        int n = Channels.Length;
        return Sandwich
            ? 0.5 + (rung == n - 1 ? 0 : 0.5 * (n - 1 - rung) / (n - 1))
            : (double)(n - rung) / n;
    }

    /// <summary>The β rung <paramref name="rung"/> was trained at: its own, or <paramref name="beta"/> for every rung.</summary>
    public double RungBeta(int rung, double beta) => RungBetas?[rung] ?? beta;

    /// <summary>Rate weight per latent channel: its rung's effective β times the rung's visibility, or <paramref name="beta"/> for every channel without <see cref="RungBetas"/>.</summary>
    public float[] ChannelBetas(double beta)
    {
        var betas = new float[Channels[^1]];
        for (int rung = 0, c = 0; rung < Channels.Length; rung++)
        {
            var weight = RungBetas is { } b ? b[rung] * Visibility(rung) : beta;
            for (; c < Channels[rung]; c++)
            {
                betas[c] = (float)weight;
            }
        }
        return betas;
    }

    /// <summary>Parses <c>1,2,4,8,16</c> and, optionally, one effective β per rung (<c>0.01,0.004,0.001,0.0005,0.0002</c>).</summary>
    public static ChannelLadder Parse(string text, string? rungBetas = null, bool sandwich = false) =>
        new([.. Split(text).Select(s => int.Parse(s, CultureInfo.InvariantCulture))],
            rungBetas is null ? null : [.. Split(rungBetas).Select(s => double.Parse(s, CultureInfo.InvariantCulture))], sandwich);

    public bool Equals(ChannelLadder? other) =>
        other is not null && Channels.AsSpan().SequenceEqual(other.Channels) && Sandwich == other.Sandwich
        && (RungBetas is null ? other.RungBetas is null : other.RungBetas is not null && RungBetas.AsSpan().SequenceEqual(other.RungBetas));

    public override int GetHashCode() => Channels.Aggregate(HashCode.Combine(Channels.Length, Sandwich), HashCode.Combine);

    public override string ToString() =>
        string.Join(",", Channels)
        + (RungBetas is { } b ? $" at β {string.Join(",", b.Select(v => v.ToString(CultureInfo.InvariantCulture)))}" : "")
        + (Sandwich ? ", sandwich" : "");

    private static string[] Split(string text) => text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
