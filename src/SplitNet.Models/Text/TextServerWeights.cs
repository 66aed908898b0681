using TorchSharp.Modules;
using static TorchSharp.torch.nn;

namespace SplitNet.Models.Text;

/// <summary>
/// What a text split model's server bundle holds per level: the bottleneck (the server uses g_s,
/// the center and the tables) and, when the model has labels, the category head on the sentence
/// embedding, which is the same at every level.
/// </summary>
internal sealed class TextServerWeights : Module
{
#pragma warning disable IDE1006 // Names follow the state-dict keys.
    private readonly TokenBottleneck bottleneck;
    private readonly Linear? head;
#pragma warning restore IDE1006

    public TextServerWeights(TokenBottleneck bottleneck, Linear? head) : base(nameof(TextServerWeights))
    {
        (this.bottleneck, this.head) = (bottleneck, head);
        RegisterComponents();
    }

    public TokenBottleneck Bottleneck => bottleneck;
    public Linear? Head => head;
}
