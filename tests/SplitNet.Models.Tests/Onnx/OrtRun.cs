using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace SplitNet.Models.Tests.Onnx;

/// <summary>One ONNX Runtime session on an exported part, on one thread (the tests share two cores).</summary>
internal sealed class OrtRun : IDisposable
{
    private readonly SessionOptions _options = new() { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
    private readonly InferenceSession _session;

    public OrtRun(string path) => _session = new InferenceSession(path, _options);

    /// <summary>Every output of one run, by name, flattened row-major.</summary>
    public Dictionary<string, T[]> Run<T>(params NamedOnnxValue[] inputs)
    {
        using var outputs = _session.Run(inputs);
        return outputs.ToDictionary(o => o.Name, o => o.AsTensor<T>().ToArray());
    }

    public static NamedOnnxValue Input<T>(string name, T[] values, params int[] shape) =>
        NamedOnnxValue.CreateFromTensor(name, new DenseTensor<T>(values, shape));

    public void Dispose()
    {
        _session.Dispose();
        _options.Dispose();
    }
}
