namespace SplitNet.Codec;

/// <summary>
/// An immutable tensor shape of up to <see cref="MaxRank"/> dimensions, each below 65,536, with
/// at most <see cref="MaxElements"/> elements (so a hostile header cannot ask for a huge buffer).
/// </summary>
public sealed class TensorShape : IEquatable<TensorShape>
{
    public const int MaxRank = 6;
    public const long MaxElements = 1 << 24;
    private readonly int[] _dims;

    public TensorShape(ReadOnlySpan<int> dims)
    {
        if (dims.Length is 0 or > MaxRank)
        {
            throw new ArgumentOutOfRangeException(nameof(dims), $"Rank {dims.Length} is not 1-{MaxRank}.");
        }
        long count = 1;
        foreach (var d in dims)
        {
            if (d is <= 0 or > ushort.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(dims), $"Dimension {d} is not 1-{ushort.MaxValue}.");
            }
            count *= d;
            if (count > MaxElements)
            {
                throw new ArgumentOutOfRangeException(nameof(dims), $"Shape has more than {MaxElements} elements.");
            }
        }
        _dims = dims.ToArray();
        ElementCount = count;
    }

    public int Rank => _dims.Length;
    public long ElementCount { get; }
    public int this[int index] => _dims[index];
    public ReadOnlySpan<int> Dimensions => _dims;

    public bool Equals(TensorShape? other) => other is not null && Dimensions.SequenceEqual(other.Dimensions);
    public override bool Equals(object? obj) => Equals(obj as TensorShape);
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var d in _dims)
        {
            hash.Add(d);
        }
        return hash.ToHashCode();
    }

    public override string ToString() => string.Join('x', _dims);
}
