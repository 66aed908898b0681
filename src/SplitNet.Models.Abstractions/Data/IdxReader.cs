using System.Buffers.Binary;
using System.IO.Compression;

namespace SplitNet.Models.Data;

/// <summary>
/// Reads unsigned-byte IDX arrays (the MNIST/Fashion-MNIST format), plain or gzip-compressed.
/// </summary>
/// <remarks>
/// Layout: two zero bytes, a type code (0x08 = ubyte), the number of dimensions, then one
/// big-endian int32 per dimension and the data in row-major order. Anything else, a short file
/// or trailing bytes are reported as an <see cref="IdxFormatException"/> naming the file.
/// </remarks>
public static class IdxReader
{
    private const byte UnsignedByte = 0x08;

    /// <summary>Reads an IDX file and checks it has <paramref name="rank"/> dimensions.</summary>
    public static (int[] Shape, byte[] Data) Read(string path, int rank)
    {
        byte[] bytes;
        try
        {
            bytes = Decompress(path);
        }
        catch (InvalidDataException e)
        {
            throw new IdxFormatException(path, $"corrupt gzip stream ({e.Message})");
        }
        catch (EndOfStreamException)
        {
            throw new IdxFormatException(path, "truncated gzip stream");
        }
        return Parse(path, bytes, rank);
    }

    internal static (int[] Shape, byte[] Data) Parse(string path, ReadOnlySpan<byte> bytes, int rank)
    {
        if (bytes.Length < 4)
        {
            throw new IdxFormatException(path, $"file is {bytes.Length} bytes, too short for an IDX header");
        }
        if (bytes[0] != 0 || bytes[1] != 0)
        {
            throw new IdxFormatException(path, $"bad magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(bytes):x8} (expected 0x0000{UnsignedByte:x2}{rank:x2})");
        }
        if (bytes[2] != UnsignedByte)
        {
            throw new IdxFormatException(path, $"element type 0x{bytes[2]:x2} is not unsigned byte (0x08)");
        }
        if (bytes[3] != rank)
        {
            throw new IdxFormatException(path, $"has {bytes[3]} dimensions, expected {rank}");
        }
        int header = 4 + 4 * rank;
        if (bytes.Length < header)
        {
            throw new IdxFormatException(path, "truncated header");
        }
        var shape = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt32BigEndian(bytes[(4 + 4 * i)..]);
            if (shape[i] <= 0)
            {
                throw new IdxFormatException(path, $"dimension {i} is {shape[i]}");
            }
            count *= shape[i];
        }
        long actual = bytes.Length - header;
        if (actual < count)
        {
            throw new IdxFormatException(path, $"truncated: header declares {count} values ({string.Join('x', shape)}) but the file holds {actual}");
        }
        if (actual > count)
        {
            throw new IdxFormatException(path, $"{actual - count} unexpected trailing bytes after {count} values");
        }
        return (shape, bytes[header..].ToArray());
    }

    private static byte[] Decompress(string path)
    {
        using var file = File.OpenRead(path);
        var gzip = file.Length >= 2 && file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        using var source = gzip ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        using var buffer = new MemoryStream();
        source.CopyTo(buffer);
        return buffer.ToArray();
    }
}
