using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace SplitNet.Codec;

/// <summary>
/// Sentence payloads (<see cref="CodecId.Utf8Text"/>): the text itself as UTF-8 behind the usual
/// checksummed header, shape (bytes). What a server-only deployment of a text model sends; the
/// server tokenizes it.
/// </summary>
public static class TextCodec
{
    /// <summary>The payload of <paramref name="text"/> for the model's input split point <paramref name="splitPoint"/>.</summary>
    public static byte[] Encode(string modelId, byte splitPoint, ReadOnlySpan<char> text)
    {
        int bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes is 0 or > ushort.MaxValue)
        {
            throw new ArgumentException($"A text payload holds 1 to {ushort.MaxValue} UTF-8 bytes, not {bytes}.", nameof(text));
        }
        var body = new byte[bytes];
        Encoding.UTF8.GetBytes(text, body);
        var output = new ArrayBufferWriter<byte>(64 + bytes);
        new PayloadHeader(CodecId.Utf8Text, modelId, splitPoint, new TensorShape([bytes]), 1, 0).Write(output, body);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The sentence in <paramref name="payload"/>, whose header was read with <see cref="PayloadHeader.TryRead"/>:
    /// the checksum must match, the body must be as long as the header says and valid UTF-8.
    /// </summary>
    public static DecodeStatus TryDecode(ReadOnlySpan<byte> payload, in PayloadHeader header, int headerLength, out string text, out string? error)
    {
        text = "";
        if (header.Codec != CodecId.Utf8Text || header.Shape.Rank != 1)
        {
            error = header.Codec != CodecId.Utf8Text ? $"{header.Codec} is not a text codec" : $"a text payload has shape (bytes), not {header.Shape}";
            return header.Codec != CodecId.Utf8Text ? DecodeStatus.BadHeader : DecodeStatus.ShapeMismatch;
        }
        if (!PayloadHeader.ChecksumMatches(payload, headerLength))
        {
            error = "checksum mismatch: the payload was corrupted on the way";
            return DecodeStatus.CorruptBody;
        }
        var body = payload[headerLength..];
        if (body.Length != header.Shape[0])
        {
            error = $"text body is {body.Length} bytes, shape {header.Shape} says {header.Shape[0]}";
            return DecodeStatus.CorruptBody;
        }
        if (!Utf8.IsValid(body))
        {
            error = "text body is not valid UTF-8";
            return DecodeStatus.CorruptBody;
        }
        text = Encoding.UTF8.GetString(body);
        error = null;
        return DecodeStatus.Ok;
    }
}
