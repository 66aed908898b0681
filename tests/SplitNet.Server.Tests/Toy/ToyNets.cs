using SplitNet.Models.Entropy;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SplitNet.Server.Tests.Toy;

/// <summary>Sizes of a toy token model, kept in its manifest's <c>config</c>.</summary>
public sealed record ToyConfig(int Vocabulary, int Width, int Channels, int EmbeddingSize, int Classes);

/// <summary>The edge side of the toy: token embedding, a linear g_a to C channels per token, the entropy model.</summary>
public sealed class ToyEdgeNet : nn.Module
{
#pragma warning disable IDE1006 // Names follow the state-dict keys.
    private readonly Embedding embed;
    private readonly Linear g_a;
    private readonly EntropyBottleneck entropy_bottleneck;
#pragma warning restore IDE1006

    public ToyEdgeNet(ToyConfig config) : base(nameof(ToyEdgeNet))
    {
        embed = nn.Embedding(config.Vocabulary, config.Width);
        g_a = nn.Linear(config.Width, config.Channels);
        entropy_bottleneck = new EntropyBottleneck(config.Channels);
        RegisterComponents();
    }

    public EntropyBottleneck Bottleneck => entropy_bottleneck;

    /// <summary>y of one sentence as (1, C, S, 1): channels first, one column per token.</summary>
    public Tensor Encode(Tensor tokens) => g_a.call(embed.call(tokens)).transpose(0, 1).unsqueeze(0).unsqueeze(-1);
}

/// <summary>The server side of the toy: the entropy model, a linear g_s per token, masked mean pooling, a task head.</summary>
public sealed class ToyServerNet : nn.Module
{
#pragma warning disable IDE1006 // Names follow the state-dict keys.
    private readonly EntropyBottleneck entropy_bottleneck;
    private readonly Linear g_s;
    private readonly Linear head;
#pragma warning restore IDE1006

    public ToyServerNet(ToyConfig config) : base(nameof(ToyServerNet))
    {
        entropy_bottleneck = new EntropyBottleneck(config.Channels);
        g_s = nn.Linear(config.Channels, config.EmbeddingSize);
        head = nn.Linear(config.EmbeddingSize, config.Classes);
        RegisterComponents();
    }

    public EntropyBottleneck Bottleneck => entropy_bottleneck;

    /// <summary>Sentence embeddings (N, D) of ŷ (N, C, P) whose tokens past each length are padding.</summary>
    public Tensor Embed(Tensor yHat, Tensor mask)
    {
        var perToken = g_s.call(yHat.transpose(1, 2));
        var m = mask.unsqueeze(-1);
        return (perToken * m).sum(1) / m.sum(1);
    }

    public Tensor Classify(Tensor embedding) => head.call(embedding);
}
