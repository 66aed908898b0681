namespace SplitNet.Models.Split;

/// <summary>One input of an edge part: an image's pixels or a sequence of token ids (with the text they came from, where known).</summary>
public readonly ref struct SplitInput
{
    private SplitInput(InputKind kind, ReadOnlySpan<byte> pixels, ReadOnlySpan<int> tokens, ReadOnlySpan<char> text = default)
    {
        Kind = kind;
        Pixels = pixels;
        Tokens = tokens;
        Text = text;
    }

    public InputKind Kind { get; }

    /// <summary>8-bit pixels, row-major (images).</summary>
    public ReadOnlySpan<byte> Pixels { get; }

    /// <summary>Token ids (token sequences).</summary>
    public ReadOnlySpan<int> Tokens { get; }

    public static SplitInput Image(ReadOnlySpan<byte> pixels) => new(InputKind.Image, pixels, default);

    /// <summary>The sentence <see cref="Tokens"/> were made from (empty when unknown): what a server-only deployment sends.</summary>
    public ReadOnlySpan<char> Text { get; }

    public static SplitInput TokenIds(ReadOnlySpan<int> tokens) => new(InputKind.Tokens, default, tokens);

    /// <summary>A sentence and its token ids.</summary>
    public static SplitInput Sentence(ReadOnlySpan<char> text, ReadOnlySpan<int> tokens) => new(InputKind.Tokens, default, tokens, text);

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
