using SplitNet.Models.Entropy;
using SplitNet.Models.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SplitNet.Models.Text;

/// <summary>Sizes of the per-token bottleneck, kept in a text split model's manifest.</summary>
/// <param name="Cut">Transformer layers the edge runs (k): the cut is after layer k − 1.</param>
/// <param name="Channels">Latent channels per token (N).</param>
/// <param name="Width">Hidden width of g_a and g_s.</param>
public sealed record TokenBottleneckConfig(int Cut = 2, int Channels = 32, int Width = 384);

/// <summary>
/// The per-token entropic bottleneck at a transformer cut: g_a maps each token's hidden state
/// (minus <c>center</c>, the per-dimension mean of the training set's hidden states at the cut,
/// which takes out any nearly constant massive activation before quantisation) to N channels; a
/// factorized prior per channel codes them (one rANS stream over S × N symbols); g_s maps ŷ back
/// and adds <c>center</c>. The latent is (N, S): channels first, one column per token.
/// </summary>
public sealed class TokenBottleneck : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // Names follow the state-dict keys.
    private readonly Sequential g_a, g_s;
    private readonly EntropyBottleneck entropy_bottleneck;
    private readonly Tensor center;
#pragma warning restore IDE1006

    public TokenBottleneck(int hidden, TokenBottleneckConfig config) : base(nameof(TokenBottleneck))
    {
        Config = config;
        g_a = Sequential(Linear(hidden, config.Width), GELU(), Linear(config.Width, config.Channels));
        g_s = Sequential(Linear(config.Channels, config.Width), GELU(), Linear(config.Width, hidden));
        entropy_bottleneck = new EntropyBottleneck(config.Channels);
        center = zeros(hidden);
        RegisterComponents();
    }

    public TokenBottleneckConfig Config { get; }
    public EntropyBottleneck Bottleneck => entropy_bottleneck;

    // What each side's bundle saves of it (TextSideWeights).
    internal Sequential AnalysisLayers => g_a;
    internal Sequential SynthesisLayers => g_s;
    internal Tensor CenterBuffer => center;

    /// <summary>Sets the per-dimension center (the training set's mean hidden state at the cut).</summary>
    public void Center(Tensor mean)
    {
        using var _ = no_grad();
        center.copy_(mean);
    }

    /// <summary>y (B, N, S, 1) of hidden states (B, S, hidden).</summary>
    public Tensor Analysis(Tensor hidden) => g_a.call(hidden - center).transpose(1, 2).unsqueeze(-1);

    /// <summary>Hidden states (B, S, hidden) of ŷ (B, N, S, 1).</summary>
    public Tensor Synthesis(Tensor yHat) => g_s.call(yHat.squeeze(-1).transpose(1, 2)).add(center, Alpha.One);

    /// <summary>Training forward on hidden states (B, S, hidden): the reconstruction and the likelihoods (B, N, S, 1).</summary>
    public override Tensor forward(Tensor hidden) => Synthesis(entropy_bottleneck.call(Analysis(hidden)).YHat);
}
