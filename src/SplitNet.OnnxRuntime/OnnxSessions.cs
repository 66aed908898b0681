using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace SplitNet.OnnxRuntime;

/// <summary>Opens ONNX Runtime sessions with the configured provider; a provider that cannot run gets an error saying what is missing.</summary>
public static class OnnxSessions
{
    /// <summary>What ONNX Runtime's CUDA provider loads: CUDA 13's runtime, cuBLAS and cuRAND, and cuDNN 9.</summary>
    public static IReadOnlyList<string> CudaLibraries { get; } =
        ["libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10", "libcudnn.so.9"];

    /// <exception cref="InvalidDataException">The file is not a model ONNX Runtime can load; the message names it.</exception>
    /// <exception cref="InvalidOperationException">The CUDA provider was asked for and cannot run here; the message names what is missing.</exception>
    public static InferenceSession Create(string path, OnnxRuntimeOptions options)
    {
        using var session = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        if (options.ExecutionProvider == ExecutionProvider.Cuda)
        {
            AppendCuda(session, options.DeviceId);
        }
        try
        {
            return new InferenceSession(path, session);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{path}: ONNX Runtime cannot load it ({e.Message})", e);
        }
    }

    private static void AppendCuda(SessionOptions session, int deviceId)
    {
        var missing = CudaLibraries.Where(library => !Loadable(library)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"ExecutionProvider Cuda needs CUDA 13 and cuDNN 9, and {string.Join(", ", missing)} cannot be loaded "
                + "(install them and put them on the loader path, e.g. LD_LIBRARY_PATH), or set ExecutionProvider to Cpu.");
        }
        try
        {
            session.AppendExecutionProvider_CUDA(deviceId);
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            throw new InvalidOperationException(
                $"ExecutionProvider Cuda: this build of ONNX Runtime cannot start CUDA device {deviceId} ({e.Message}); "
                + "build with -p:OnnxRuntimeGpu=true for the CUDA build of ONNX Runtime, or set ExecutionProvider to Cpu.", e);
        }
    }

    private static bool Loadable(string library)
    {
        if (!NativeLibrary.TryLoad(library, out var handle))
        {
            return false;
        }
        NativeLibrary.Free(handle);
        return true;
    }
}
