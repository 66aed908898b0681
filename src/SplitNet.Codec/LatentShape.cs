using System.Text.Json.Serialization;

namespace SplitNet.Codec;

/// <summary>
/// The shape rule of one frame's latent: channels first, then the other dimensions, with at most
/// one axis, the one right after the channels, whose length varies from frame to frame (tokens
/// of a sentence, say). A fixed latent has every frame at <see cref="Dimensions"/>; a variable one
/// holds frames of 1 to <c>Dimensions[1]</c> along that axis. Values are laid out channel-major,
/// so each channel's symbols are contiguous and use that channel's entropy table.
/// </summary>
public sealed record LatentShape
{
    /// <param name="dimensions">The shape (C, …), with a variable axis at its maximum length.</param>
    /// <param name="variableAxis">1 when the axis after the channels varies per frame; null when fixed.</param>
    [JsonConstructor]
    public LatentShape(int[] dimensions, int? variableAxis = null)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        _ = new TensorShape(dimensions);
        if (variableAxis is not (null or 1) || (variableAxis == 1 && dimensions.Length < 2))
        {
            throw new ArgumentOutOfRangeException(nameof(variableAxis), variableAxis, "Only the axis right after the channels (1) may vary.");
        }
        Dimensions = [.. dimensions];
        VariableAxis = variableAxis;
    }

    /// <summary>The shape, with the variable axis (if any) at its maximum length.</summary>
    public int[] Dimensions { get; }

    /// <summary>1 when the axis after the channels varies per frame; null for a fixed shape.</summary>
    public int? VariableAxis { get; }

    [JsonIgnore]
    public int Channels => Dimensions[0];

    [JsonIgnore]
    public bool IsVariable => VariableAxis is not null;

    /// <summary>The longest a frame can be along the variable axis (the fixed length otherwise).</summary>
    [JsonIgnore]
    public int MaxLength => Dimensions.Length > 1 ? Dimensions[1] : 1;

    /// <summary>Elements per channel of one step along the variable axis (the dimensions after it).</summary>
    [JsonIgnore]
    public int StepElements => Dimensions.Skip(2).Aggregate(1, (a, d) => a * d);

    /// <summary>Elements of a frame whose variable axis has <paramref name="length"/> (ignored when fixed).</summary>
    public int Elements(int length) => Channels * (IsVariable ? length : MaxLength) * StepElements;

    /// <summary>
    /// The length a frame declares on the wire, checked: 0 means "the fixed shape" and is the only
    /// choice besides <see cref="MaxLength"/> for a fixed latent; a variable latent needs 1 to
    /// <see cref="MaxLength"/>.
    /// </summary>
    public bool TryResolve(int declared, out int length, out string? error)
    {
        (length, error) = (IsVariable, declared) switch
        {
            (_, < 0) => (0, $"latent length {declared} is negative"),
            (false, 0) => (MaxLength, null),
            (false, _) when declared == MaxLength => (MaxLength, null),
            (false, _) => (0, $"this latent has the fixed shape {this}; it takes no length {declared}"),
            (true, 0) => (0, $"this latent varies along axis 1 (1 to {MaxLength}); the frame must declare its length"),
            (true, _) when declared > MaxLength => (0, $"latent length {declared} exceeds the model's maximum {MaxLength}"),
            _ => (declared, null),
        };
        return error is null;
    }

    /// <summary>
    /// The length a frame of <paramref name="length"/> is padded to when batched: the next power
    /// of two (at most <see cref="MaxLength"/>), so frames of similar length batch together and
    /// padding is less than half of any batch; a fixed latent is never padded.
    /// </summary>
    public int PaddedLength(int length) =>
        IsVariable ? Math.Min(MaxLength, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, length))) : MaxLength;

    /// <summary>
    /// True when a frame of <paramref name="shape"/> fits this rule: every dimension as declared,
    /// except a variable axis, which may be 1 to <see cref="MaxLength"/>; <paramref name="length"/> is its length.
    /// </summary>
    public bool TryMatch(TensorShape shape, out int length)
    {
        length = IsVariable && shape.Rank > 1 ? shape[1] : MaxLength;
        if (shape.Rank != Dimensions.Length || length < 1 || length > MaxLength)
        {
            return false;
        }
        for (int i = 0; i < Dimensions.Length; i++)
        {
            if (i != VariableAxis && shape[i] != Dimensions[i])
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The dimensions of a frame of <paramref name="length"/>.</summary>
    public int[] Resolve(int length)
    {
        var dims = (int[])Dimensions.Clone();
        if (IsVariable)
        {
            dims[1] = length;
        }
        return dims;
    }

    public bool Equals(LatentShape? other) =>
        other is not null && VariableAxis == other.VariableAxis && Dimensions.AsSpan().SequenceEqual(other.Dimensions);

    public override int GetHashCode() => HashCode.Combine(VariableAxis, Dimensions.Length, Dimensions[0]);

    public override string ToString() =>
        string.Join('x', Dimensions.Select((d, i) => i == VariableAxis ? $"≤{d}" : $"{d}"));
}
