using TorchSharp;

namespace SplitNet.Models.Layers;

/// <summary>
/// A module that only names parts of another (the same instances), so a subset of a model can
/// be saved or loaded with the original state-dict keys: the edge's <c>g_a</c> and entropy model,
/// or the server's entropy model, <c>g_s</c> and tail.
/// </summary>
internal sealed class ModuleView : torch.nn.Module
{
    public ModuleView(params (string Name, torch.nn.Module Module)[] parts) : base(nameof(ModuleView))
    {
        foreach (var (name, module) in parts)
        {
            register_module(name, module);
        }
    }
}
