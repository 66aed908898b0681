namespace SplitNet.Models.Split;

/// <summary>One input of an edge part: an image's pixels or a sequence of token ids.</summary>
public readonly ref struct SplitInput
{
    private SplitInput(InputKind kind, ReadOnlySpan<byte> pixels, ReadOnlySpan<int> tokens)
    {
        Kind = kind;
        Pixels = pixels;
        Tokens = tokens;
    }

    public InputKind Kind { get; }

    /// <summary>8-bit pixels, row-major (images).</summary>
    public ReadOnlySpan<byte> Pixels { get; }

    /// <summary>Token ids (token sequences).</summary>
    public ReadOnlySpan<int> Tokens { get; }

    public static SplitInput Image(ReadOnlySpan<byte> pixels) => new(InputKind.Image, pixels, default);

    public static SplitInput TokenIds(ReadOnlySpan<int> tokens) => new(InputKind.Tokens, default, tokens);

    public static implicit operator SplitInput(ReadOnlySpan<byte> pixels) => Image(pixels);

    public static implicit operator SplitInput(byte[] pixels) => Image(pixels);

    /// <summary>Throws unless this input is of <paramref name="kind"/>: a part never guesses.</summary>
    public void Expect(InputKind kind)
    {
        if (Kind != kind)
        {
            throw new ArgumentException($"this model reads {kind} input, not {Kind}");
        }
    }
}
