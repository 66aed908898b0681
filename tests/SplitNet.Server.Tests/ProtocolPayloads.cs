using System.Buffers.Binary;
using Google.Protobuf;

namespace SplitNet.Server.Tests;

/// <summary>Open Inference Protocol raw contents, as a client lays them out.</summary>
internal static class ProtocolPayloads
{
    /// <summary>BYTES elements in raw form: each a 4-byte little-endian length and the bytes.</summary>
    public static ByteString Raw(IEnumerable<byte[]> elements)
    {
        var stream = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (var element in elements)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)element.Length);
            stream.Write(length);
            stream.Write(element);
        }
        return ByteString.CopyFrom(stream.ToArray());
    }

    /// <summary>INT32 values in raw form, little-endian.</summary>
    public static ByteString Ints(IEnumerable<int> values)
    {
        var raw = values.ToArray();
        var bytes = new byte[raw.Length * sizeof(int)];
        for (int i = 0; i < raw.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * sizeof(int)), raw[i]);
        }
        return ByteString.CopyFrom(bytes);
    }

    /// <summary>FP32 raw contents back as floats.</summary>
    public static float[] Floats(ByteString raw) =>
        [.. Enumerable.Range(0, raw.Length / 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(raw.Span[(i * 4)..]))];
}
