using System.Buffers;

namespace SplitNet.Codec.Entropy;

/// <summary>
/// The entropy model both ends of a split share: a factorized prior frozen into per-channel
/// integer CDF tables, the per-channel medians the symbols are centred on, and the stream format.
/// <see cref="Compress"/> and <see cref="TryDecompress"/> are the one codec path of a latent: the
/// edge, the server and every benchmark go through this pair, so the bytes a report counts are
/// the bytes that ship.
/// </summary>
/// <remarks>
/// Symbols s = round(y − median) come in channel-major order; symbol i of an n-symbol frame uses
/// the table of channel i / (n / C). Immutable: any number of threads may code with it.
/// </remarks>
public sealed class EntropyModel
{
    private readonly float[] _medians;
    private int[]? _ladder;
    private int _rung;

    public EntropyModel(CdfTable table, ReadOnlySpan<float> medians, LatentStream format)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (medians.Length != table.Count)
        {
            throw new ArgumentException($"{medians.Length} medians for {table.Count} tables.", nameof(medians));
        }
        Table = table;
        _medians = medians.ToArray();
        Format = format;
    }

    public CdfTable Table { get; }
    public LatentStream Format { get; }
    public int Channels => Table.Count;
    public ReadOnlySpan<float> Medians => _medians;

    /// <summary>
    /// This model at rung <paramref name="rung"/> of a variable-rate ladder (ascending channel
    /// counts, the last <see cref="Channels"/>): it codes a whole latent as the prefix of its
    /// embedded stream that carries the first <c>ladder[rung]</c> channels, and decodes such a
    /// prefix into the whole latent with the other channels zero. Same tables, same hash.
    /// </summary>
    public EntropyModel AtRung(IReadOnlyList<int> ladder, int rung)
    {
        ArgumentNullException.ThrowIfNull(ladder);
        ArgumentOutOfRangeException.ThrowIfNegative(rung);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rung, ladder.Count);
        if (ladder[^1] != Channels || ladder[0] < 1 || ladder.Zip(ladder.Skip(1)).Any(p => p.Second <= p.First))
        {
            throw new ArgumentException($"A ladder ascends from 1 to the {Channels} channels, not {string.Join(",", ladder)}.", nameof(ladder));
        }
        return new EntropyModel(Table, _medians, Format) { _ladder = [.. ladder], _rung = rung };
    }

    /// <summary>The ladder of a model made by <see cref="AtRung"/>, or null.</summary>
    public IReadOnlyList<int>? Ladder => _ladder;

    /// <summary>The rung of a model made by <see cref="AtRung"/> (0 otherwise).</summary>
    public int Rung => _rung;

    /// <summary>The channels a frame carries: all, or a rung's leading ones (<see cref="AtRung"/>).</summary>
    public int SentChannels => _ladder?[_rung] ?? Channels;

    /// <summary>SHA-256 of the tables, as declared by edges and checked by servers.</summary>
    public string TablesSha256 => Table.Hash;

    /// <summary>Codes one frame's symbols into one stream (at a rung, the prefix of the embedded one); returns the bytes written.</summary>
    public int Compress(ReadOnlySpan<int> symbols, IBufferWriter<byte> output)
    {
        if (_ladder is null)
        {
            return LatentCoder.Encode(Format, symbols, PerChannel(symbols.Length), Table, output);
        }
        Span<int> ends = stackalloc int[_ladder.Length];
        return CompressSegmented(symbols, _ladder, output, ends, _rung);
    }

    /// <summary>Codes one frame's symbols into a new array.</summary>
    public byte[] Compress(ReadOnlySpan<int> symbols)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        Compress(symbols, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Codes one frame into an embedded stream: its prefix of <c>ends[k]</c> bytes decodes the
    /// first <c>channels[k]</c> channels (<see cref="TryDecompressPrefix"/>), so a lower rate is a
    /// cut of the same bytes, not another coding. <paramref name="channels"/> ascend and end at
    /// <see cref="Channels"/>; the whole stream is the one <see cref="Compress(ReadOnlySpan{int}, IBufferWriter{byte})"/> writes.
    /// With <paramref name="only"/> ≥ 0 only the prefix of segment <paramref name="only"/> is written (still every end is reported).
    /// </summary>
    public int CompressSegmented(ReadOnlySpan<int> symbols, ReadOnlySpan<int> channels, IBufferWriter<byte> output, Span<int> ends, int only = -1)
    {
        int perChannel = PerChannel(symbols.Length);
        Span<int> segments = stackalloc int[channels.Length];
        for (int k = 0; k < channels.Length; k++)
        {
            segments[k] = channels[k] * perChannel;
        }
        return LatentCoder.EncodeSegmented(Format, symbols, perChannel, Table, output, segments, ends, only);
    }

    /// <summary>
    /// Decodes the first <paramref name="channels"/> channels of a frame from the prefix of its
    /// embedded stream that carries them into ŷ, and zeroes the rest of <paramref name="yHat"/>
    /// (the whole latent), as a variable-rate decoder was trained to see them. Never throws on bad
    /// input. A prefix cannot check the coder's final state; it must be used up exactly.
    /// </summary>
    public bool TryDecompressPrefix(ReadOnlySpan<byte> prefix, int channels, Span<float> yHat, out string? error)
    {
        if (yHat.Length == 0 || yHat.Length % Channels != 0 || channels < 1 || channels > Channels)
        {
            error = $"{channels} of {Channels} channels in {yHat.Length} values: not a prefix of this latent";
            return false;
        }
        int sent = channels * (yHat.Length / Channels);
        var symbols = ArrayPool<int>.Shared.Rent(sent);
        try
        {
            if (!LatentCoder.TryDecodePrefix(Format, prefix, yHat.Length / Channels, Table, symbols.AsSpan(0, sent), out error))
            {
                return false;
            }
            Dequantize(symbols.AsSpan(0, sent), yHat[..sent], yHat.Length / Channels);
            yHat[sent..].Clear();
            return true;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(symbols);
        }
    }

    /// <summary>
    /// Decodes one stream of exactly <c>yHat.Length</c> symbols into ŷ = s + median of its channel.
    /// Never throws on bad input: false and a reason instead.
    /// </summary>
    public bool TryDecompress(ReadOnlySpan<byte> stream, Span<float> yHat, out string? error)
    {
        if (_ladder is not null)
        {
            return TryDecompressPrefix(stream, SentChannels, yHat, out error);
        }
        if (yHat.Length == 0 || yHat.Length % Channels != 0)
        {
            error = $"{yHat.Length} symbols do not fill {Channels} channels";
            return false;
        }
        int perChannel = yHat.Length / Channels;
        var symbols = ArrayPool<int>.Shared.Rent(yHat.Length);
        try
        {
            if (!LatentCoder.TryDecode(Format, stream, perChannel, Table, symbols.AsSpan(0, yHat.Length), out error))
            {
                return false;
            }
            Dequantize(symbols.AsSpan(0, yHat.Length), yHat);
            return true;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(symbols);
        }
    }

    /// <summary>ŷ = s + median of its channel, for channel-major <paramref name="symbols"/>.</summary>
    public void Dequantize(ReadOnlySpan<int> symbols, Span<float> yHat) => Dequantize(symbols, yHat, PerChannel(symbols.Length));

    private void Dequantize(ReadOnlySpan<int> symbols, Span<float> yHat, int perChannel)
    {
        for (int i = 0; i < symbols.Length; i++)
        {
            yHat[i] = symbols[i] + _medians[i / perChannel];
        }
    }

    /// <summary>Σ −log₂ p of the symbols a frame carries under these tables, escapes included: the size an ideal coder would reach.</summary>
    public double IdealBits(ReadOnlySpan<int> symbols)
    {
        int perChannel = PerChannel(symbols.Length);
        double bits = 0;
        for (int i = 0, sent = SentChannels * perChannel; i < sent; i++)
        {
            bits += Table.InformationBits(symbols[i], i / perChannel);
        }
        return bits;
    }

    private int PerChannel(int symbols) =>
        symbols > 0 && symbols % Channels == 0
            ? symbols / Channels
            : throw new ArgumentException($"{symbols} symbols do not fill {Channels} channels.", nameof(symbols));
}
