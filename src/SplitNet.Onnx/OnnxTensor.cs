using System.Buffers.Binary;
using SplitNet.Onnx.Format;

namespace SplitNet.Onnx;

/// <summary>A float32 tensor out of an ONNX file: row-major values and their shape.</summary>
public sealed record OnnxTensor(string Name, long[] Shape, float[] Values)
{
    /// <summary>The values of a FLOAT initializer, from raw_data (little-endian) or float_data.</summary>
    /// <param name="path">The file, for messages.</param>
    public static OnnxTensor FromProto(TensorProto tensor, string path)
    {
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new InvalidDataException($"{path}: tensor '{tensor.Name}' holds {(TensorProto.Types.DataType)tensor.DataType}, not FLOAT");
        }
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw new InvalidDataException($"{path}: tensor '{tensor.Name}' keeps its data in an external file, which is not supported");
        }
        long count = tensor.Dims.Aggregate(1L, (n, d) => n * d);
        float[] values;
        if (tensor.RawData.Length > 0)
        {
            if (tensor.RawData.Length != 4 * count)
            {
                throw new InvalidDataException($"{path}: tensor '{tensor.Name}' has {tensor.RawData.Length} bytes of data for a shape of {count} floats");
            }
            values = new float[count];
            var raw = tensor.RawData.Span;
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
            }
        }
        else if (tensor.FloatData.Count == count)
        {
            values = [.. tensor.FloatData];
        }
        else
        {
            throw new InvalidDataException($"{path}: tensor '{tensor.Name}' has {tensor.FloatData.Count} values for a shape of {count}");
        }
        return new OnnxTensor(tensor.Name, [.. tensor.Dims], values);
    }
}
