using System.Buffers.Binary;
using System.Text.Json;

namespace SplitNet.Models.Bundles;

/// <summary>Reads tensor names and shapes from a safetensors file without loading the data.</summary>
public static class SafetensorsHeader
{
    /// <summary>Name → shape of every tensor in <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a safetensors file; the message names it.</exception>
    public static Dictionary<string, long[]> ReadShapes(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> prefix = stackalloc byte[8];
        if (file.Read(prefix) != 8)
        {
            throw new InvalidDataException($"{path}: too short for a safetensors header");
        }
        var length = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (length > 100_000_000 || (long)length > file.Length - 8)
        {
            throw new InvalidDataException($"{path}: safetensors header length {length} does not fit the file");
        }
        var json = new byte[length];
        file.ReadExactly(json);
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(json);
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (entry.Name != "__metadata__")
                {
                    shapes[entry.Name] = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                }
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: malformed safetensors header ({e.Message})", e);
        }
        return shapes;
    }
}
