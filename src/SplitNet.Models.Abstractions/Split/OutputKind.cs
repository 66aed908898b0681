namespace SplitNet.Models.Split;

/// <summary>What the server part of a split model answers with.</summary>
[Flags]
public enum OutputKind
{
    /// <summary>A softmax over the model's labels.</summary>
    Probabilities = 1,

    /// <summary>A fixed-size vector (a sentence or image embedding).</summary>
    Embedding = 2,

    /// <summary>Both: an embedding and the probabilities of a task head on it.</summary>
    Both = Probabilities | Embedding,
}
