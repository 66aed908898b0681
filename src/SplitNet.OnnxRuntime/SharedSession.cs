using Microsoft.ML.OnnxRuntime;
using SplitNet.Models.Split;

namespace SplitNet.OnnxRuntime;

/// <summary>
/// One ONNX Runtime session per exported file (by path and SHA-256) and provider settings, leased
/// by every level that runs it (the levels of a variable-rate model share one graph per side).
/// </summary>
internal static class SharedSession
{
    private static readonly LeaseCache<(string Path, string Sha256, OnnxRuntimeOptions Options), InferenceSession> Open = new();

    /// <summary>A lease on the session of <paramref name="path"/>, opening it if no level holds it.</summary>
    public static LeaseCache<(string Path, string Sha256, OnnxRuntimeOptions Options), InferenceSession>.Lease Acquire(string path, string sha256, OnnxRuntimeOptions options) =>
        Open.Acquire((Path.GetFullPath(path), sha256, options), key => OnnxSessions.Create(key.Path, key.Options));
}
