namespace SplitNet.OnnxRuntime;

/// <summary>Where ONNX Runtime runs a model's graphs.</summary>
public enum ExecutionProvider
{
    /// <summary>ONNX Runtime's own CPU kernels (every build, every platform).</summary>
    Cpu,

    /// <summary>NVIDIA GPUs: needs the CUDA build of ONNX Runtime, CUDA 13 and cuDNN 9.</summary>
    Cuda,
}

/// <summary>Settings of ONNX Runtime sessions. Defaults are listed per setting.</summary>
public sealed class OnnxRuntimeOptions
{
    /// <summary>Execution provider. Default <see cref="ExecutionProvider.Cpu"/>.</summary>
    public ExecutionProvider ExecutionProvider { get; set; } = ExecutionProvider.Cpu;

    /// <summary>CUDA device ordinal (with <see cref="ExecutionProvider.Cuda"/>). Default 0.</summary>
    public int DeviceId { get; set; }

    /// <summary>
    /// Threads one session call may use. Default 1: a server runs one call per inference worker,
    /// and sessions that share cores with each other thrash.
    /// </summary>
    public int IntraOpThreads { get; set; } = 1;
}
