using System.Buffers.Binary;
using System.Text.Json;

namespace SplitNet.Models.Bundles;

/// <summary>One tensor of a safetensors file: its type, shape and where its bytes are.</summary>
/// <param name="DataType">safetensors dtype: F32, I32, I64, ...</param>
/// <param name="Start">Byte offset of the data from the start of the file.</param>
/// <param name="Length">Bytes of data.</param>
public sealed record SafetensorsEntry(string DataType, long[] Shape, long Start, long Length);

/// <summary>Reads safetensors files without TorchSharp: tensor names and shapes, and small tensors' data.</summary>
public static class SafetensorsHeader
{
    /// <summary>Name → shape of every tensor in <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a safetensors file; the message names it.</exception>
    public static Dictionary<string, long[]> ReadShapes(string path) =>
        ReadEntries(path).ToDictionary(e => e.Key, e => e.Value.Shape, StringComparer.Ordinal);

    /// <summary>Name → type, shape and location of every tensor in <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a safetensors file; the message names it.</exception>
    public static Dictionary<string, SafetensorsEntry> ReadEntries(string path)
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
        long dataStart = 8 + (long)length;
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(json);
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    continue;
                }
                var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(o => o.GetInt64()).ToArray();
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || dataStart + offsets[1] > file.Length)
                {
                    throw new InvalidDataException($"{path}: tensor '{entry.Name}' has data offsets outside the file");
                }
                entries[entry.Name] = new SafetensorsEntry(
                    entry.Value.GetProperty("dtype").GetString() ?? "",
                    [.. entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64())],
                    dataStart + offsets[0],
                    offsets[1] - offsets[0]);
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: malformed safetensors header ({e.Message})", e);
        }
        return entries;
    }

    /// <summary>The data of tensor <paramref name="name"/>, which must be of <paramref name="dataType"/> (F32 or I32), row-major.</summary>
    /// <exception cref="InvalidDataException">No such tensor, or another type; the message names the file.</exception>
    public static T[] ReadTensor<T>(string path, IReadOnlyDictionary<string, SafetensorsEntry> entries, string name, string dataType)
        where T : unmanaged
    {
        if (!entries.TryGetValue(name, out var entry))
        {
            throw new InvalidDataException($"{path}: no tensor '{name}'");
        }
        long elements = entry.Shape.Aggregate(1L, (a, d) => a * d);
        if (entry.DataType != dataType || elements * System.Runtime.CompilerServices.Unsafe.SizeOf<T>() != entry.Length)
        {
            throw new InvalidDataException($"{path}: tensor '{name}' is {entry.DataType} [{string.Join(", ", entry.Shape)}] in {entry.Length} bytes, not {dataType}");
        }
        var data = new T[elements];
        using var file = File.OpenRead(path);
        file.Position = entry.Start;
        file.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        return data;
    }
}
