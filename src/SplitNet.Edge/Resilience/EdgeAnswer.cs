namespace SplitNet.Edge.Resilience;

/// <summary>Who answered a frame.</summary>
public enum AnswerSource
{
    /// <summary>A server ran the deep layers.</summary>
    Server,

    /// <summary>The edge's early-exit head was confident enough; nothing was sent.</summary>
    EarlyExit,

    /// <summary>No server was reachable (every circuit open); the early-exit head answered, degraded.</summary>
    LocalFallback,

    /// <summary>Nobody: see <see cref="EdgeAnswer.Failure"/>.</summary>
    None,
}

/// <summary>
/// The one outcome of one frame: a prediction (a class and/or an embedding) and who made it, or
/// an explicit failure with its reason. Every submitted frame ends as exactly one of these.
/// </summary>
/// <param name="FrameId">The frame's id.</param>
/// <param name="Source">Who answered.</param>
/// <param name="ClassId">Predicted class, or -1 on failure or for a model that answers with an embedding only.</param>
/// <param name="Confidence">Probability of that class.</param>
/// <param name="Failure">Why there is no prediction (null when there is one).</param>
/// <param name="Attempts">Sends it took (0 when answered on the edge).</param>
/// <param name="Endpoint">The server that answered, if one did.</param>
/// <param name="ServerMicros">The server's own time on the answering attempt.</param>
/// <param name="Embedding">The server's embedding, for a model whose outputs include one.</param>
/// <param name="RateLevel">The level the server answered at (a frame sent in segments: how many arrived, less one).</param>
public sealed record EdgeAnswer(ulong FrameId, AnswerSource Source, int ClassId, float Confidence, string? Failure, int Attempts, Uri? Endpoint, uint ServerMicros = 0,
    float[]? Embedding = null, uint RateLevel = 0)
{
    public bool Succeeded => Failure is null;

    /// <summary>Answered without a server although one was wanted.</summary>
    public bool Degraded => Source == AnswerSource.LocalFallback;

    public static EdgeAnswer Local(ulong frameId, AnswerSource source, float[] probabilities)
    {
        int best = 0;
        for (int c = 1; c < probabilities.Length; c++)
        {
            best = probabilities[c] > probabilities[best] ? c : best;
        }
        return new EdgeAnswer(frameId, source, best, probabilities[best], null, 0, null);
    }
}
