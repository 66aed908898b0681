using System.Buffers;
using System.Buffers.Binary;
using K4os.Compression.LZ4;

namespace SplitNet.Codec;

/// <summary>
/// Codes a float feature tensor into a self-describing payload (<see cref="PayloadHeader"/> + body)
/// and back. Decoding never throws on bad input: it returns a <see cref="DecodeStatus"/>.
/// </summary>
public static class FeatureCodec
{
    private const int Levels = 255;

    /// <summary>Encodes <paramref name="values"/> (row-major, <paramref name="shape"/>) into a new array.</summary>
    public static byte[] Encode(CodecId codec, string modelId, byte splitPoint, TensorShape shape, ReadOnlySpan<float> values)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + values.Length * BytesPerValue(codec));
        Encode(codec, modelId, splitPoint, shape, values, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Encodes <paramref name="values"/> (row-major, <paramref name="shape"/>) to <paramref name="output"/>.</summary>
    public static void Encode(CodecId codec, string modelId, byte splitPoint, TensorShape shape, ReadOnlySpan<float> values, IBufferWriter<byte> output)
    {
        if (values.Length != shape.ElementCount)
        {
            throw new ArgumentException($"{values.Length} values do not fill shape {shape}.", nameof(values));
        }
        switch (codec)
        {
            case CodecId.RawFloat32:
                var raw = ArrayPool<byte>.Shared.Rent(values.Length * 4);
                try
                {
                    for (int i = 0; i < values.Length; i++)
                    {
                        BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(4 * i), values[i]);
                    }
                    new PayloadHeader(codec, modelId, splitPoint, shape, 1, 0).Write(output, raw.AsSpan(0, values.Length * 4));
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(raw);
                }
                break;
            case CodecId.Affine8Lz4:
                EncodeAffine8Lz4(modelId, splitPoint, shape, values, output);
                break;
            case CodecId.Float16:
                var half = ArrayPool<byte>.Shared.Rent(values.Length * 2);
                try
                {
                    for (int i = 0; i < values.Length; i++)
                    {
                        BinaryPrimitives.WriteHalfLittleEndian(half.AsSpan(2 * i), (Half)values[i]);
                    }
                    new PayloadHeader(codec, modelId, splitPoint, shape, 1, 0).Write(output, half.AsSpan(0, values.Length * 2));
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(half);
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(codec), codec, "Unknown codec.");
        }
    }

    /// <summary>
    /// Decodes the body of <paramref name="payload"/> whose header was read with
    /// <see cref="PayloadHeader.TryRead"/> into <paramref name="destination"/>, which must have
    /// exactly the header's element count.
    /// </summary>
    public static DecodeStatus TryDecodeBody(ReadOnlySpan<byte> payload, in PayloadHeader header, int headerLength, Span<float> destination, out string? error)
    {
        if (destination.Length != header.Shape.ElementCount)
        {
            error = $"destination holds {destination.Length} values, shape {header.Shape} has {header.Shape.ElementCount}";
            return DecodeStatus.ShapeMismatch;
        }
        if (!PayloadHeader.ChecksumMatches(payload, headerLength))
        {
            error = "checksum mismatch: the payload was corrupted on the way";
            return DecodeStatus.CorruptBody;
        }
        var body = payload[headerLength..];
        switch (header.Codec)
        {
            case CodecId.RawFloat32:
                if (body.Length != destination.Length * 4)
                {
                    error = $"float32 body is {body.Length} bytes, shape {header.Shape} needs {destination.Length * 4}";
                    return DecodeStatus.CorruptBody;
                }
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(body[(4 * i)..]);
                }
                break;
            case CodecId.Float16:
                if (body.Length != destination.Length * 2)
                {
                    error = $"float16 body is {body.Length} bytes, shape {header.Shape} needs {destination.Length * 2}";
                    return DecodeStatus.CorruptBody;
                }
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(body[(2 * i)..]);
                }
                break;
            case CodecId.Png or CodecId.WebpLossless:
                return ImageCodec.TryDecodeBody(body, header, destination, out error);
            case CodecId.Utf8Text:
                error = "a text payload decodes to a sentence (TextCodec.TryDecode), not to features";
                return DecodeStatus.BadHeader;
            case CodecId.Affine8Lz4:
                var levels = ArrayPool<byte>.Shared.Rent(destination.Length);
                try
                {
                    var q = levels.AsSpan(0, destination.Length);
                    if (LZ4Codec.Decode(body, q) != q.Length)
                    {
                        error = $"LZ4 block of {body.Length} bytes does not decode to the {q.Length} values of shape {header.Shape}";
                        return DecodeStatus.CorruptBody;
                    }
                    for (int i = 0; i < q.Length; i++)
                    {
                        destination[i] = q[i] * header.Scale + header.Offset;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(levels);
                }
                break;
            default:
                error = $"unknown codec {header.Codec}";
                return DecodeStatus.BadHeader;
        }
        error = null;
        return DecodeStatus.Ok;
    }

    /// <summary>Reads the header and decodes the body into a new array.</summary>
    public static DecodeStatus TryDecode(ReadOnlySpan<byte> payload, out PayloadHeader header, out float[] values, out string? error)
    {
        values = [];
        if (!PayloadHeader.TryRead(payload, out header, out var length, out error))
        {
            return DecodeStatus.BadHeader;
        }
        // LZ4 expands at most 255-fold, float32 and float16 not at all: refuse before allocating for a lying header.
        var bodyLength = payload.Length - length;
        if (ImageCodec.Handles(header.Codec))
        {
            // An image's size is in its own header: checked before the values are allocated.
            var size = ImageCodec.TryReadSize(payload[length..], header, out error);
            if (size != DecodeStatus.Ok)
            {
                return size;
            }
        }
        else if (header.Shape.ElementCount > (header.Codec == CodecId.Affine8Lz4 ? 255L * bodyLength + 16 : bodyLength / BytesPerValue(header.Codec)))
        {
            error = $"body of {bodyLength} bytes cannot hold the {header.Shape.ElementCount} values of shape {header.Shape}";
            return DecodeStatus.CorruptBody;
        }
        values = new float[header.Shape.ElementCount];
        return TryDecodeBody(payload, header, length, values, out error);
    }

    /// <summary>Bytes per value before compression.</summary>
    private static int BytesPerValue(CodecId codec) => codec switch
    {
        CodecId.RawFloat32 => 4,
        CodecId.Float16 => 2,
        _ => 1,
    };

    private static void EncodeAffine8Lz4(string modelId, byte splitPoint, TensorShape shape, ReadOnlySpan<float> values, IBufferWriter<byte> output)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var v in values)
        {
            if (!float.IsFinite(v))
            {
                throw new ArgumentException("Features contain a non-finite value.", nameof(values));
            }
            min = MathF.Min(min, v);
            max = MathF.Max(max, v);
        }
        var scale = max > min ? (max - min) / Levels : 1f;
        var levels = ArrayPool<byte>.Shared.Rent(values.Length);
        var block = ArrayPool<byte>.Shared.Rent(LZ4Codec.MaximumOutputSize(values.Length));
        try
        {
            var inverse = 1f / scale;
            for (int i = 0; i < values.Length; i++)
            {
                levels[i] = (byte)Math.Clamp(MathF.Round((values[i] - min) * inverse), 0, Levels);
            }
            int written = LZ4Codec.Encode(levels.AsSpan(0, values.Length), block, LZ4Level.L00_FAST);
            new PayloadHeader(CodecId.Affine8Lz4, modelId, splitPoint, shape, scale, min).Write(output, block.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(levels);
            ArrayPool<byte>.Shared.Return(block);
        }
    }
}
