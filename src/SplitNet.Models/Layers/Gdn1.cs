using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SplitNet.Models.Layers;

/// <summary>
/// Simplified generalized divisive normalization (Johnston et al., 2019), as the Entropic
/// Student uses it: y_i = x_i / (β_i + Σ_j γ_ij |x_j|), or with <c>inverse</c> the product
/// y_i = x_i · (β_i + Σ_j γ_ij |x_j|). β and γ are kept non-negative by reparameterisation.
/// </summary>
public sealed class Gdn1 : nn.Module<Tensor, Tensor>
{
    private readonly bool _inverse;
    private readonly int _channels;
    private readonly NonNegativeParametrizer beta_reparam, gamma_reparam;
    private readonly Parameter beta, gamma;

    public Gdn1(int channels, bool inverse = false, double betaMin = 1e-6, double gammaInit = 0.1) : base(inverse ? "IGDN1" : "GDN1")
    {
        _inverse = inverse;
        _channels = channels;
        beta_reparam = new NonNegativeParametrizer(betaMin);
        gamma_reparam = new NonNegativeParametrizer(0);
        using (no_grad())
        {
            beta = nn.Parameter(beta_reparam.Init(ones(channels)));
            gamma = nn.Parameter(gamma_reparam.Init(eye(channels) * gammaInit));
        }
        RegisterComponents();
    }

    /// <summary>Whether this is the inverse (IGDN): a product rather than a quotient.</summary>
    internal bool Inverse => _inverse;

    /// <summary>β (C) and γ (C, C, 1, 1) after the reparameterisation, as the forward applies them.</summary>
    internal (Tensor Beta, Tensor Gamma) Effective()
    {
        using var scope = NewDisposeScope();
        var b = beta_reparam.call(beta);
        var g = gamma_reparam.call(gamma).reshape(_channels, _channels, 1, 1);
        return (b.MoveToOuterDisposeScope(), g.MoveToOuterDisposeScope());
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (b, g) = Effective();
        var norm = nn.functional.conv2d(x.abs(), g, b);
        return (_inverse ? x * norm : x / norm).MoveToOuterDisposeScope();
    }
}
