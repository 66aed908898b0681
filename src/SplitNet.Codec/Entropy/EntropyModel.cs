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
    /// The model of the first <paramref name="channels"/> channels only: the tables of a
    /// variable-rate rung, whose latent is a prefix of the full one's channels.
    /// </summary>
    public EntropyModel Prefix(int channels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channels, Channels);
        return channels == Channels ? this
            : new EntropyModel(new CdfTable([.. Enumerable.Range(0, channels).Select(c => Table.Cdf(c).ToArray())], [.. Enumerable.Range(0, channels).Select(Table.Offset)]),
                _medians.AsSpan(0, channels), Format);
    }

    /// <summary>SHA-256 of the tables, as declared by edges and checked by servers.</summary>
    public string TablesSha256 => Table.Hash;

    /// <summary>Codes one frame's symbols into one stream; returns the bytes written.</summary>
    public int Compress(ReadOnlySpan<int> symbols, IBufferWriter<byte> output) =>
        LatentCoder.Encode(Format, symbols, PerChannel(symbols.Length), Table, output);

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
    /// </summary>
    public int CompressSegmented(ReadOnlySpan<int> symbols, ReadOnlySpan<int> channels, IBufferWriter<byte> output, Span<int> ends)
    {
        int perChannel = PerChannel(symbols.Length);
        Span<int> segments = stackalloc int[channels.Length];
        for (int k = 0; k < channels.Length; k++)
        {
            segments[k] = channels[k] * perChannel;
        }
        return LatentCoder.EncodeSegmented(Format, symbols, perChannel, Table, output, segments, ends);
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

    /// <summary>Σ −log₂ p of the symbols under these tables, escapes included: the size an ideal coder would reach.</summary>
    public double IdealBits(ReadOnlySpan<int> symbols)
    {
        int perChannel = PerChannel(symbols.Length);
        double bits = 0;
        for (int i = 0; i < symbols.Length; i++)
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
