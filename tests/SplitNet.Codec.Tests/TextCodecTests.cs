namespace SplitNet.Codec.Tests;

public sealed class TextCodecTests
{
    private static DecodeStatus Decode(byte[] payload, out string text, out string? error)
    {
        text = "";
        if (!PayloadHeader.TryRead(payload, out var header, out int length, out error))
        {
            return DecodeStatus.BadHeader;
        }
        return TextCodec.TryDecode(payload, header, length, out text, out error);
    }

    [Theory]
    [InlineData("a spread made of liver; pâté is often served cold")]
    [InlineData("犬 🐕 Hund")]
    public void Encode_ThenDecode_GivesTheSentenceBack_AndTheShapeIsItsUtf8Bytes(string sentence)
    {
        var payload = TextCodec.Encode("minilm", 255, sentence);

        Assert.Equal(DecodeStatus.Ok, Decode(payload, out var text, out var error));
        Assert.Null(error);
        Assert.Equal(sentence, text);
        Assert.True(PayloadHeader.TryRead(payload, out var header, out _, out _));
        Assert.Equal((CodecId.Utf8Text, 255, System.Text.Encoding.UTF8.GetByteCount(sentence)), (header.Codec, (int)header.SplitPoint, header.Shape[0]));
    }

    [Fact]
    public void Encode_NoText_OrMoreThanAHeaderCanSay_Throws()
    {
        Assert.Throws<ArgumentException>(() => TextCodec.Encode("minilm", 255, ""));
        Assert.Throws<ArgumentException>(() => TextCodec.Encode("minilm", 255, new string('a', 65_536)));
    }

    [Fact]
    public void TryDecode_InvalidUtf8WithAGoodChecksum_IsCorruptBody()
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        new PayloadHeader(CodecId.Utf8Text, "minilm", 255, new TensorShape([3]), 1, 0).Write(output, [0x61, 0xED, 0xA0]);

        Assert.Equal(DecodeStatus.CorruptBody, Decode(output.WrittenSpan.ToArray(), out _, out var error));
        Assert.Contains("not valid UTF-8", error);
    }

    [Fact]
    public void TryDecode_AFloatPayload_IsBadHeader_AndFeatureCodecRefusesATextPayload()
    {
        var features = FeatureCodec.Encode(CodecId.Float16, "minilm", 2, new TensorShape([4]), [1, 2, 3, 4]);
        var sentence = TextCodec.Encode("minilm", 255, "dog");

        Assert.Equal(DecodeStatus.BadHeader, Decode(features, out _, out _));
        Assert.Equal(DecodeStatus.BadHeader, FeatureCodec.TryDecode(sentence, out _, out _, out var error));
        Assert.Contains("sentence", error);
    }

    [Fact]
    public void TryDecode_EveryTruncationAndEveryBitFlip_IsAnErrorValue_NeverAThrow()
    {
        var payload = TextCodec.Encode("minilm", 255, "change location; move, travel, or proceed");
        for (int cut = 0; cut < payload.Length; cut++)
        {
            Assert.NotEqual(DecodeStatus.Ok, Decode(payload[..cut], out _, out _));
        }
        for (int bit = 0; bit < payload.Length * 8; bit++)
        {
            var flipped = (byte[])payload.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.NotEqual(DecodeStatus.Ok, Decode(flipped, out _, out _));
        }
    }

    [Fact]
    public void LatentShape_TryMatch_TakesAnyLengthAlongTheVariableAxisOnly()
    {
        var variable = new LatentShape([384, 32], variableAxis: 1);
        var fixedShape = new LatentShape([64, 14, 14]);

        Assert.True(variable.TryMatch(new TensorShape([384, 7]), out int length));
        Assert.Equal(7, length);
        Assert.False(variable.TryMatch(new TensorShape([384, 33]), out _));
        Assert.False(variable.TryMatch(new TensorShape([383, 7]), out _));
        Assert.False(variable.TryMatch(new TensorShape([384]), out _));
        Assert.True(fixedShape.TryMatch(new TensorShape([64, 14, 14]), out length));
        Assert.Equal(14, length);
        Assert.False(fixedShape.TryMatch(new TensorShape([64, 13, 14]), out _));
    }
}
