using Microsoft.ML.OnnxRuntime;

namespace SplitNet.OnnxRuntime;

/// <summary>
/// One ONNX Runtime session per exported file (by path and SHA-256) and provider settings, held by
/// every level that runs it — the levels of a variable-rate model share one graph — and disposed
/// with the last.
/// </summary>
internal sealed class SharedSession : IDisposable
{
    private static readonly Dictionary<(string Path, string Sha256, OnnxRuntimeOptions Options), SharedSession> Open = [];

    private readonly (string, string, OnnxRuntimeOptions) _key;
    private int _leases;

    private SharedSession((string, string, OnnxRuntimeOptions) key, InferenceSession session)
    {
        _key = key;
        Session = session;
    }

    public InferenceSession Session { get; }

    /// <summary>A lease on the session of <paramref name="path"/>, opening it if no level holds it.</summary>
    public static SharedSession Acquire(string path, string sha256, OnnxRuntimeOptions options)
    {
        var key = (Path.GetFullPath(path), sha256, options);
        lock (Open)
        {
            if (!Open.TryGetValue(key, out var shared))
            {
                shared = new SharedSession(key, OnnxSessions.Create(path, options));
                Open.Add(key, shared);
            }
            shared._leases++;
            return shared;
        }
    }

    public void Dispose()
    {
        lock (Open)
        {
            if (--_leases > 0)
            {
                return;
            }
            Open.Remove(_key);
        }
        Session.Dispose();
    }
}
