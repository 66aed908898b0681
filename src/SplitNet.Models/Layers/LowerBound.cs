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
        if (!is_grad_enabled() || !x.requires_grad)
        {
            // Without a gradient the straight-through form is just the maximum (and two fewer kernels).
            return maximum(x, bound);
        }
        using var scope = NewDisposeScope();
        return (x + (maximum(x, bound) - x).detach()).MoveToOuterDisposeScope();
    }
}
