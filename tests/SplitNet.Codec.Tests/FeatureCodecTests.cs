using System.Buffers.Binary;
using System.IO.Hashing;

namespace SplitNet.Codec.Tests;

public sealed class FeatureCodecTests
{
    private static readonly TensorShape Shape = new([4, 6, 6]);

    private static float[] Features(int seed)
    {
        var random = new Random(seed);
        var values = new float[Shape.ElementCount];
        for (int i = 0; i < values.Length; i++)
        {
            // ReLU-like features: many exact zeros, which LZ4 should exploit.
            values[i] = random.NextDouble() < 0.5 ? 0f : (float)(random.NextDouble() * 6 - 1);
        }
        return values;
    }

    [Fact]
    public void Encode_RawFloat32_RoundTripsExactly()
    {
        var values = Features(1);
        var payload = FeatureCodec.Encode(CodecId.RawFloat32, "m", 2, Shape, values);

        Assert.Equal(DecodeStatus.Ok, FeatureCodec.TryDecode(payload, out var header, out var decoded, out _));
        Assert.Equal(values, decoded);
        Assert.Equal(new PayloadHeader(CodecId.RawFloat32, "m", 2, Shape, 1, 0), header);
    }

    [Fact]
    public void Encode_Float16_RoundTripsToTheNearestHalfInTwoBytesAValue()
    {
        var values = Features(3);
        var payload = FeatureCodec.Encode(CodecId.Float16, "m", 1, Shape, values);

        Assert.Equal(DecodeStatus.Ok, FeatureCodec.TryDecode(payload, out var header, out var decoded, out _));
        Assert.Equal(values.Select(v => (float)(Half)v), decoded);
        Assert.Equal(CodecId.Float16, header.Codec);
        var raw = FeatureCodec.Encode(CodecId.RawFloat32, "m", 1, Shape, values);
        Assert.Equal(values.Length * 2, raw.Length - payload.Length);
        Assert.Equal(DecodeStatus.CorruptBody, FeatureCodec.TryDecode(payload[..^1], out _, out _, out _));
    }

    [Fact]
    public void Encode_Affine8Lz4_RoundTripsWithinHalfAStep()
    {
        var values = Features(2);
        var payload = FeatureCodec.Encode(CodecId.Affine8Lz4, "model-a", 3, Shape, values);

        Assert.Equal(DecodeStatus.Ok, FeatureCodec.TryDecode(payload, out var header, out var decoded, out _));
        var step = (values.Max() - values.Min()) / 255f;
        Assert.Equal(step, header.Scale, 6);
        Assert.Equal(values.Min(), header.Offset);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.InRange(decoded[i], values[i] - step / 2 - 1e-5f, values[i] + step / 2 + 1e-5f);
        }
    }

    [Fact]
    public void Encode_Affine8Lz4_CompressesASparseTensor()
    {
        var values = new float[Shape.ElementCount];
        values[3] = 2f;
        values[77] = 5f;
        var payload = FeatureCodec.Encode(CodecId.Affine8Lz4, "m", 3, Shape, values);
        PayloadHeader.TryRead(payload, out _, out var headerLength, out _);
        Assert.True(payload.Length - headerLength < values.Length / 4, $"{payload.Length - headerLength} bytes for {values.Length} mostly-zero values");
    }

    [Fact]
    public void TryDecode_HeaderClaimingAHugeShape_IsRefusedBeforeAllocating()
    {
        var payload = FeatureCodec.Encode(CodecId.RawFloat32, "m", 2, new TensorShape([2, 2]), [1, 2, 3, 4]);
        // Claim 4096x4096 (16.7M elements, within the shape limit) with a 16-byte body.
        payload[8] = 0x00; payload[9] = 0x10; payload[10] = 0x00; payload[11] = 0x10;
        Assert.Equal(DecodeStatus.CorruptBody, FeatureCodec.TryDecode(payload, out _, out var values, out var error));
        Assert.Empty(values);
        Assert.Contains("cannot hold", error);
    }

    [Fact]
    public void Encode_ConstantTensor_DecodesToTheConstant()
    {
        var values = Enumerable.Repeat(0.75f, (int)Shape.ElementCount).ToArray();
        var payload = FeatureCodec.Encode(CodecId.Affine8Lz4, "m", 0, Shape, values);

        Assert.Equal(DecodeStatus.Ok, FeatureCodec.TryDecode(payload, out _, out var decoded, out _));
        Assert.All(decoded, v => Assert.Equal(0.75f, v));
    }

    [Fact]
    public void Encode_NonFiniteValue_Throws()
    {
        var values = Features(3);
        values[5] = float.NaN;
        Assert.Throws<ArgumentException>(() => FeatureCodec.Encode(CodecId.Affine8Lz4, "m", 0, Shape, values));
    }

    /// <summary>Writes a valid checksum over a payload damaged on purpose, so the check behind it is reached.</summary>
    private static void Restamp(byte[] payload, int headerLength)
    {
        var crc = new Crc32();
        crc.Append(payload.AsSpan(0, headerLength - 4));
        crc.Append(payload.AsSpan(headerLength));
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(headerLength - 4), crc.GetCurrentHashAsUInt32());
    }

    [Fact]
    public void TryDecode_CorruptLz4Block_ReturnsCorruptBody()
    {
        var payload = FeatureCodec.Encode(CodecId.Affine8Lz4, "m", 2, Shape, Features(4));
        PayloadHeader.TryRead(payload, out var header, out var headerLength, out _);
        // An LZ4 token promising a long literal run that the block does not contain.
        payload[headerLength] = 0xF0;
        payload[headerLength + 1] = 0xFF;
        Restamp(payload, headerLength);

        Assert.Equal(DecodeStatus.CorruptBody, FeatureCodec.TryDecodeBody(payload, header, headerLength, new float[Shape.ElementCount], out var error));
        Assert.Contains("LZ4", error);
    }

    [Fact]
    public void TryDecode_TruncatedRawBody_ReturnsCorruptBody()
    {
        var payload = FeatureCodec.Encode(CodecId.RawFloat32, "m", 2, Shape, Features(5));
        var truncated = payload[..^4];
        PayloadHeader.TryRead(truncated, out var header, out var headerLength, out _);
        Restamp(truncated, headerLength);
        Assert.Equal(DecodeStatus.CorruptBody, FeatureCodec.TryDecode(truncated, out _, out _, out var error));
        Assert.Contains("body", error);
        Assert.Equal(DecodeStatus.CorruptBody, FeatureCodec.TryDecodeBody(truncated, header, headerLength, new float[Shape.ElementCount], out error));
        Assert.Contains("float32 body", error);
    }

    [Fact]
    public void TryDecodeBody_WrongDestinationSize_ReturnsShapeMismatch()
    {
        var payload = FeatureCodec.Encode(CodecId.RawFloat32, "m", 2, Shape, Features(6));
        PayloadHeader.TryRead(payload, out var header, out var headerLength, out _);
        Assert.Equal(DecodeStatus.ShapeMismatch, FeatureCodec.TryDecodeBody(payload, header, headerLength, new float[10], out _));
    }

    [Theory]
    [InlineData(0, "bad magic")]
    [InlineData(2, "version")]
    [InlineData(3, "unknown codec")]
    public void TryRead_DamagedHeaderByte_ReportsTheProblem(int index, string expected)
    {
        var payload = FeatureCodec.Encode(CodecId.Affine8Lz4, "m", 2, Shape, Features(7));
        payload[index] = 0x7F;

        Assert.False(PayloadHeader.TryRead(payload, out _, out _, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void TryRead_EveryTruncation_FailsWithoutThrowing()
    {
        var payload = FeatureCodec.Encode(CodecId.Affine8Lz4, "model", 2, Shape, Features(8));
        PayloadHeader.TryRead(payload, out _, out var headerLength, out _);
        for (int length = 0; length < headerLength; length++)
        {
            Assert.False(PayloadHeader.TryRead(payload.AsSpan(0, length), out _, out _, out var error), $"length {length}");
            Assert.NotNull(error);
        }
    }

    [Fact]
    public void TryRead_ZeroDimension_IsRejected()
    {
        var payload = FeatureCodec.Encode(CodecId.RawFloat32, "m", 2, Shape, Features(9));
        // 'S' 'N' ver codec split idlen 'm' rank, then the first u16 dimension.
        BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(8), 0);
        Assert.False(PayloadHeader.TryRead(payload, out _, out _, out var error));
        Assert.Contains("zero", error);
    }

    [Fact]
    public void TryDecode_RandomMutations_AreAllRefusedWithoutThrowing()
    {
        var random = new Random(11);
        var original = FeatureCodec.Encode(CodecId.Affine8Lz4, "m", 2, Shape, Features(10));
        int mutated = 0;
        for (int trial = 0; trial < 20_000; trial++)
        {
            var payload = (byte[])original.Clone();
            int flips = random.Next(1, 4);
            for (int f = 0; f < flips; f++)
            {
                payload[random.Next(payload.Length)] = (byte)random.Next(256);
            }
            var length = random.Next(4) == 0 ? random.Next(payload.Length) : payload.Length;
            var status = FeatureCodec.TryDecode(payload.AsSpan(0, length), out _, out _, out var error);
            if (payload.AsSpan(0, length).SequenceEqual(original))
            {
                Assert.Equal(DecodeStatus.Ok, status);
                continue;
            }
            mutated++;
            Assert.NotEqual(DecodeStatus.Ok, status);
            Assert.NotNull(error);
        }
        Assert.True(mutated > 19_000);
    }

    [Fact]
    public void TryDecodeBody_OneFlippedBitInTheBodyOrTheAffineFields_IsRefused()
    {
        var original = FeatureCodec.Encode(CodecId.RawFloat32, "m", 2, Shape, Features(12));
        PayloadHeader.TryRead(original, out _, out var headerLength, out _);
        // Bits of the body and of the scale, offset and checksum: the header fields a reader cannot check otherwise.
        for (int bit = (headerLength - 12) * 8; bit < original.Length * 8; bit += 7)
        {
            var payload = (byte[])original.Clone();
            payload[bit / 8] ^= (byte)(1 << (bit % 8));
            if (!PayloadHeader.TryRead(payload, out var header, out _, out _))
            {
                continue; // a scale or offset made non-finite
            }
            Assert.Equal(DecodeStatus.CorruptBody, FeatureCodec.TryDecodeBody(payload, header, headerLength, new float[Shape.ElementCount], out var error));
            Assert.Contains("checksum", error);
        }
    }
}
