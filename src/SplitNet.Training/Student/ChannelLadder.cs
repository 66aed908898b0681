namespace SplitNet.Training.Student;

/// <summary>
/// The rungs of a variable-rate (Matryoshka) student: latent channel counts, ascending, the last
/// being all of them. Trained jointly, the first n channels of one latent are a valid latent for
/// every rung n, so one model serves every rate and a prefix of its channels is a lower rate.
/// </summary>
public sealed record ChannelLadder
{
    public ChannelLadder(int[] channels)
    {
        ArgumentNullException.ThrowIfNull(channels);
        if (channels.Length == 0 || channels[0] < 1 || channels.Zip(channels.Skip(1)).Any(p => p.Second <= p.First))
        {
            throw new ArgumentException($"A channel ladder is ascending and positive, not {string.Join(",", channels)}.", nameof(channels));
        }
        Channels = [.. channels];
    }

    public int[] Channels { get; }

    /// <summary>Parses <c>1,2,4,8,16</c>.</summary>
    public static ChannelLadder Parse(string text) =>
        new([.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)]);

    public bool Equals(ChannelLadder? other) => other is not null && Channels.AsSpan().SequenceEqual(other.Channels);

    public override int GetHashCode() => Channels.Aggregate(Channels.Length, HashCode.Combine);

    public override string ToString() => string.Join(",", Channels);
}
