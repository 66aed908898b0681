namespace SplitNet.Server.Inference;

/// <summary>
/// The server-side part of one model at one rate level or split point: turns a batch of decoded
/// inputs into class probabilities. The dynamic batcher groups jobs by target.
/// </summary>
/// <remarks>Called only on inference worker threads, one call at a time per thread.</remarks>
internal interface IInferenceTarget
{
    /// <summary>The served model this target belongs to.</summary>
    Models.ServedModel Model { get; }

    /// <summary>Floats per decoded input.</summary>
    int InputSize { get; }

    /// <summary>Classes per answer.</summary>
    int Classes { get; }

    /// <summary>
    /// Runs the deep layers on <paramref name="count"/> inputs laid end to end in
    /// <paramref name="inputs"/> (exactly <c>count × InputSize</c> floats) and returns their softmax,
    /// row by row.
    /// </summary>
    float[] Run(float[] inputs, int count);
}
