using TorchSharp;
using static TorchSharp.torch;

namespace SplitNet.Models.Layers;

/// <summary>
/// Keeps a parameter v ≥ <c>minimum</c> by storing p = √(v + pedestal) and computing
/// v = max(p, √(minimum + pedestal))² − pedestal (Ballé 2018; CompressAI's parametrizer).
/// </summary>
public sealed class NonNegativeParametrizer : nn.Module<Tensor, Tensor>
{
    private const double ReparamOffset = 1.0 / (1 << 18);
    private readonly Tensor pedestal;
    private readonly LowerBound lower_bound;

    public NonNegativeParametrizer(double minimum) : base(nameof(NonNegativeParametrizer))
    {
        var pedestalValue = ReparamOffset * ReparamOffset;
        pedestal = tensor(new[] { (float)pedestalValue });
        lower_bound = new LowerBound(Math.Sqrt(minimum + pedestalValue));
        RegisterComponents();
    }

    /// <summary>The stored form of the value <paramref name="v"/>.</summary>
    public Tensor Init(Tensor v)
    {
        using var scope = NewDisposeScope();
        return sqrt(maximum(v + pedestal, pedestal)).MoveToOuterDisposeScope();
    }

    public override Tensor forward(Tensor p)
    {
        using var scope = NewDisposeScope();
        var bounded = lower_bound.call(p);
        return (bounded * bounded - pedestal).MoveToOuterDisposeScope();
    }
}
