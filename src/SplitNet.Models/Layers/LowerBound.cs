using TorchSharp;
using static TorchSharp.torch;

namespace SplitNet.Models.Layers;

/// <summary>
/// max(x, bound) whose gradient passes straight through. CompressAI's <c>LowerBound</c> passes it
/// only where x ≥ bound or the gradient would raise x; for the rate term (always raising the
/// likelihood) the two are identical.
/// </summary>
public sealed class LowerBound : nn.Module<Tensor, Tensor>
{
    private readonly Tensor bound;

    public LowerBound(double value) : base(nameof(LowerBound))
    {
        bound = tensor(new[] { (float)value });
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return x.add((maximum(x, bound) - x).detach(), Alpha.One).MoveToOuterDisposeScope();
    }
}
