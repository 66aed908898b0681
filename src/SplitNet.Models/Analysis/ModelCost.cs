using SplitNet.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SplitNet.Models.Analysis;

/// <summary>Parameters and multiply-accumulates of the part of a model that one forward runs.</summary>
public sealed record ModelCost(long Parameters, long Macs)
{
    /// <summary>Measures <paramref name="module"/>'s own forward on a zero input of <paramref name="inputShape"/>.</summary>
    public static ModelCost Measure(nn.Module<Tensor, Tensor> module, params long[] inputShape) =>
        Measure(module, module.call, inputShape);

    /// <summary>
    /// Runs <paramref name="forward"/> once on a zero input of <paramref name="inputShape"/> (batch of
    /// one) and counts, over the layers of <paramref name="root"/> that ran, their parameters and the
    /// MACs of convolutions, linear layers and GDN's 1x1 channel mixing.
    /// </summary>
    public static ModelCost Measure(nn.Module root, Func<Tensor, Tensor> forward, params long[] inputShape)
    {
        long macs = 0, parameters = 0;
        var ran = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        var hooks = new List<Action>();
        // named_modules() leaves out the root itself, which may be a layer too.
        foreach (var child in root.named_modules().Select(m => m.module).Prepend(root).Distinct(ReferenceEqualityComparer.Instance).Cast<nn.Module>())
        {
            if (child is not nn.Module<Tensor, Tensor> layer || (child.children().Any() && child is not Gdn1))
            {
                continue;
            }
            var hook = layer.register_forward_hook((_, input, output) =>
            {
                if (ran.Add(layer))
                {
                    parameters += layer.parameters().Sum(p => p.numel());
                }
                macs += layer switch
                {
                    Conv2d conv => output.numel() * conv.kernel_size.Aggregate(1L, (a, b) => a * b) * conv.in_channels / conv.groups,
                    Linear linear => output.numel() * linear.in_features,
                    Gdn1 => output.numel() * input.shape[1],
                    _ => 0,
                };
                return output;
            });
            hooks.Add(hook.remove);
        }
        try
        {
            using var mode = inference_mode();
            using var scope = NewDisposeScope();
            forward(zeros(inputShape));
        }
        finally
        {
            foreach (var remove in hooks)
            {
                remove();
            }
        }
        return new ModelCost(parameters, macs);
    }
}
