namespace SplitNet.Server.Inference;

/// <summary>The server-side part of a model: turns a decoded input into class probabilities.</summary>
/// <remarks>Called only on inference worker threads, one call at a time per thread.</remarks>
internal interface IInferenceTarget
{
    string ModelId { get; }

    /// <summary>Runs the deep layers on one decoded input and returns the softmax.</summary>
    float[] Probabilities(float[] input);
}
