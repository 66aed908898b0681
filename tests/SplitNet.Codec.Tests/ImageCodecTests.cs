using System.Buffers.Binary;
using System.IO.Hashing;

namespace SplitNet.Codec.Tests;

public sealed class ImageCodecTests
{
    private static byte[] Pixels(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[count];
        // A smooth gradient with noise: compressible, but not trivially.
        for (int i = 0; i < count; i++)
        {
            pixels[i] = (byte)Math.Clamp(i % 28 * 9 + (random.Next(8) == 0 ? random.Next(-3, 4) : 0), 0, 255);
        }
        return pixels;
    }

    [Theory]
    [InlineData(CodecId.Png, 1)]
    [InlineData(CodecId.WebpLossless, 1)]
    [InlineData(CodecId.Png, 3)]
    [InlineData(CodecId.WebpLossless, 3)]
    public void Encode_IsLossless_AndAppliesTheHeadersAffine(CodecId codec, int channels)
    {
        var shape = new TensorShape([channels, 20, 28]);
        var pixels = Pixels((int)shape.ElementCount, channels);
        var payload = ImageCodec.Encode(codec, "teacher", 255, shape, pixels, 0.5f, -3f);

        Assert.Equal(DecodeStatus.Ok, FeatureCodec.TryDecode(payload, out var header, out var values, out var error));
        Assert.Null(error);
        Assert.Equal(codec, header.Codec);
        Assert.Equal(255, header.SplitPoint);
        int plane = 20 * 28;
        for (int c = 0; c < channels; c++)
        {
            for (int i = 0; i < plane; i++)
            {
                // Interleaved pixels in, planes (C, H, W) out.
                Assert.Equal(pixels[channels * i + c] * 0.5f - 3f, values[c * plane + i]);
            }
        }
        Assert.True(payload.Length < shape.ElementCount, $"{codec} took {payload.Length} bytes for {shape.ElementCount} pixels");
    }

    [Theory]
    [InlineData(CodecId.Png)]
    [InlineData(CodecId.WebpLossless)]
    public void TryDecode_AnImageOfAnotherSize_IsAShapeMismatch(CodecId codec)
    {
        var payload = ImageCodec.Encode(codec, "m", 255, new TensorShape([1, 10, 12]), Pixels(120, 1), 1, 0);
        var body = payload.AsSpan(new PayloadHeader(codec, "m", 255, new TensorShape([1, 10, 12]), 1, 0).Size).ToArray();
        var lying = Reheader(codec, new TensorShape([1, 12, 10]), body);

        Assert.Equal(DecodeStatus.ShapeMismatch, FeatureCodec.TryDecode(lying, out _, out _, out var error));
        Assert.Contains("12×10", error);
        var huge = Reheader(codec, new TensorShape([1, 4000, 4000]), body);
        Assert.Equal(DecodeStatus.ShapeMismatch, FeatureCodec.TryDecode(huge, out _, out var values, out _));
        Assert.Empty(values);
    }

    [Fact]
    public void TryDecode_APngBodyUnderTheWebpCodec_IsCorrupt()
    {
        var shape = new TensorShape([1, 8, 8]);
        var png = ImageCodec.Encode(CodecId.Png, "m", 255, shape, Pixels(64, 2), 1, 0);
        var body = png.AsSpan(new PayloadHeader(CodecId.Png, "m", 255, shape, 1, 0).Size).ToArray();

        Assert.Equal(DecodeStatus.CorruptBody, FeatureCodec.TryDecode(Reheader(CodecId.WebpLossless, shape, body), out _, out _, out var error));
        Assert.Contains("not a Webp image", error);
    }

    [Theory]
    [InlineData(CodecId.Png)]
    [InlineData(CodecId.WebpLossless)]
    public void TryDecode_RandomOrTruncatedBodies_NeverThrow(CodecId codec)
    {
        var shape = new TensorShape([1, 28, 28]);
        var pixels = Pixels(784, 3);
        var payload = ImageCodec.Encode(codec, "m", 255, shape, pixels, 1, 0);
        int headerSize = new PayloadHeader(codec, "m", 255, shape, 1, 0).Size;
        var body = payload.AsSpan(headerSize).ToArray();
        var random = new Random(4);
        for (int trial = 0; trial < 300; trial++)
        {
            var mangled = trial % 3 == 0
                ? body[..random.Next(body.Length)]
                : trial % 3 == 1 ? RandomBytes(random, random.Next(1, 600)) : Flip(body, random);
            // WebP has no checksum of its own, so a flipped bit may decode to another image; the payload's CRC catches that on the wire.
            var status = FeatureCodec.TryDecode(Reheader(codec, shape, mangled), out _, out var values, out var error);
            Assert.True(status == DecodeStatus.Ok ? values.Length == 784 : error is { Length: > 0 }, $"trial {trial}: {status} {error}");
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Flip(byte[] body, Random random)
    {
        var copy = (byte[])body.Clone();
        copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
        return copy;
    }

    [Fact]
    public void TryDecode_AFlippedBitOnTheWire_IsCaughtByThePayloadChecksum()
    {
        var shape = new TensorShape([1, 28, 28]);
        var payload = ImageCodec.Encode(CodecId.WebpLossless, "m", 255, shape, Pixels(784, 5), 1, 0);
        payload[^10] ^= 0x10;

        Assert.Equal(DecodeStatus.CorruptBody, FeatureCodec.TryDecode(payload, out _, out _, out var error));
        Assert.Contains("checksum", error);
    }

    /// <summary>A payload with a valid header and checksum over another body: what a hostile client can always send.</summary>
    private static byte[] Reheader(CodecId codec, TensorShape shape, byte[] body)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        new PayloadHeader(codec, "m", 255, shape, 1, 0).Write(output, body);
        return output.WrittenSpan.ToArray();
    }
}
