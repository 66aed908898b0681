using SplitNet.Onnx.Format;

namespace SplitNet.Onnx;

/// <summary>One dimension of a graph input or output: a fixed size, or a symbol such as <c>"N"</c> that the runtime binds.</summary>
public readonly record struct OnnxDim
{
    private OnnxDim(long size, string? symbol) => (Size, Symbol) = (size, symbol);

    public long Size { get; }
    public string? Symbol { get; }

    public static implicit operator OnnxDim(long size) =>
        size >= 0 ? new(size, null) : throw new ArgumentOutOfRangeException(nameof(size), size, "a fixed dimension is not negative");

    public static implicit operator OnnxDim(string symbol) =>
        string.IsNullOrEmpty(symbol) ? throw new ArgumentException("a symbolic dimension needs a name", nameof(symbol)) : new(0, symbol);

    internal TensorShapeProto.Types.Dimension ToProto() =>
        Symbol is null ? new() { DimValue = Size } : new() { DimParam = Symbol };

    public override string ToString() => Symbol ?? Size.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
