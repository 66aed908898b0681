using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace SplitNet.Codec;

/// <summary>
/// The self-describing header in front of every feature payload.
/// </summary>
/// <remarks>
/// Layout (little-endian), documented in README.md beside this file:
/// <code>
/// 'S' 'N' | version u8 | codec u8 | split u8 | id length u8 | model id (UTF-8)
/// | rank u8 | rank × dim u16 | scale f32 | offset f32 | checksum u32
/// </code>
/// Scale and offset are the affine parameters of quantising codecs (1 and 0 otherwise). The
/// checksum is the CRC-32 of every other byte of the payload, header and body.
/// </remarks>
public readonly record struct PayloadHeader(CodecId Codec, string ModelId, byte SplitPoint, TensorShape Shape, float Scale, float Offset)
{
    public const byte Version = 2;
    public const int MaxModelIdBytes = 64;
    private const byte Magic0 = (byte)'S', Magic1 = (byte)'N';

    /// <summary>Bytes this header takes on the wire.</summary>
    public int Size => 6 + Encoding.UTF8.GetByteCount(ModelId) + 1 + 2 * Shape.Rank + 8 + ChecksumSize;

    private const int ChecksumSize = 4;

    /// <summary>Appends the header, its checksum over it and <paramref name="body"/>, and the body to <paramref name="output"/>.</summary>
    public void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> body)
    {
        var idBytes = Encoding.UTF8.GetByteCount(ModelId);
        if (idBytes > MaxModelIdBytes)
        {
            throw new ArgumentException($"Model id '{ModelId}' is {idBytes} bytes; at most {MaxModelIdBytes} are allowed.");
        }
        var span = output.GetSpan(Size);
        span[0] = Magic0;
        span[1] = Magic1;
        span[2] = Version;
        span[3] = (byte)Codec;
        span[4] = SplitPoint;
        span[5] = (byte)idBytes;
        int at = 6 + Encoding.UTF8.GetBytes(ModelId, span[6..]);
        span[at++] = (byte)Shape.Rank;
        for (int i = 0; i < Shape.Rank; i++, at += 2)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)Shape[i]);
        }
        BinaryPrimitives.WriteSingleLittleEndian(span[at..], Scale);
        BinaryPrimitives.WriteSingleLittleEndian(span[(at + 4)..], Offset);
        at += 8;
        var crc = new Crc32();
        crc.Append(span[..at]);
        crc.Append(body);
        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], crc.GetCurrentHashAsUInt32());
        output.Advance(at + ChecksumSize);
        body.CopyTo(output.GetSpan(body.Length));
        output.Advance(body.Length);
    }

    /// <summary>
    /// Whether the checksum at the end of the header (<paramref name="headerLength"/> bytes, as
    /// <see cref="TryRead"/> gave it) matches the rest of <paramref name="payload"/>.
    /// </summary>
    public static bool ChecksumMatches(ReadOnlySpan<byte> payload, int headerLength)
    {
        int at = headerLength - ChecksumSize;
        var crc = new Crc32();
        crc.Append(payload[..at]);
        crc.Append(payload[headerLength..]);
        return crc.GetCurrentHashAsUInt32() == BinaryPrimitives.ReadUInt32LittleEndian(payload[at..]);
    }

    /// <summary>Parses a header; on failure <paramref name="error"/> says what is wrong.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out PayloadHeader header, out int length, out string? error)
    {
        header = default;
        length = 0;
        if (payload.Length < 7 || payload[0] != Magic0 || payload[1] != Magic1)
        {
            error = "not a SplitNet feature payload (bad magic)";
            return false;
        }
        if (payload[2] != Version)
        {
            error = $"payload version {payload[2]} is not supported (expected {Version})";
            return false;
        }
        var codec = (CodecId)payload[3];
        if (!Enum.IsDefined(codec))
        {
            error = $"unknown codec id {payload[3]}";
            return false;
        }
        int idLength = payload[5];
        int at = 6 + idLength;
        if (idLength > MaxModelIdBytes || payload.Length < at + 1)
        {
            error = "truncated header (model id)";
            return false;
        }
        string modelId;
        try
        {
            modelId = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(payload.Slice(6, idLength));
        }
        catch (DecoderFallbackException)
        {
            error = "model id is not valid UTF-8";
            return false;
        }
        int rank = payload[at++];
        if (rank is 0 or > TensorShape.MaxRank || payload.Length < at + 2 * rank + 8 + ChecksumSize)
        {
            error = rank is 0 or > TensorShape.MaxRank ? $"rank {rank} is not supported" : "truncated header (shape)";
            return false;
        }
        Span<int> dims = stackalloc int[rank];
        long elements = 1;
        for (int i = 0; i < rank; i++, at += 2)
        {
            dims[i] = BinaryPrimitives.ReadUInt16LittleEndian(payload[at..]);
            if (dims[i] == 0)
            {
                error = $"dimension {i} is zero";
                return false;
            }
            elements *= dims[i];
            if (elements > TensorShape.MaxElements)
            {
                error = $"shape has more than {TensorShape.MaxElements} elements";
                return false;
            }
        }
        var scale = BinaryPrimitives.ReadSingleLittleEndian(payload[at..]);
        var offset = BinaryPrimitives.ReadSingleLittleEndian(payload[(at + 4)..]);
        if (!float.IsFinite(scale) || !float.IsFinite(offset))
        {
            error = "scale or offset is not finite";
            return false;
        }
        header = new PayloadHeader(codec, modelId, payload[4], new TensorShape(dims), scale, offset);
        length = at + 8 + ChecksumSize;
        error = null;
        return true;
    }
}
