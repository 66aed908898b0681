using TorchSharp.Modules;
using static TorchSharp.torch.nn;

namespace SplitNet.Models.Text;

/// <summary>
/// What one side's bundle holds of a text split level, sharing the bottleneck's tensors: the edge
/// needs g_a, the center and the tables; the server g_s, the center, the tables and, when the
/// model has labels, the category head on the sentence embedding (the same at every level).
/// Loading either fills the parts of the bottleneck that side runs.
/// </summary>
internal sealed class TextSideWeights : Module
{
    private TextSideWeights(TokenBottleneck bottleneck, bool edge, Linear? head) : base(nameof(TextSideWeights))
    {
        Bottleneck = bottleneck;
        Head = head;
        if (edge)
        {
            register_module("g_a", bottleneck.AnalysisLayers);
        }
        else
        {
            register_module("g_s", bottleneck.SynthesisLayers);
        }
        register_module("entropy_bottleneck", bottleneck.Bottleneck);
        register_buffer("center", bottleneck.CenterBuffer);
        if (head is not null)
        {
            register_module("head", head);
        }
    }

    public TokenBottleneck Bottleneck { get; }
    public Linear? Head { get; }

    public static TextSideWeights Edge(TokenBottleneck bottleneck) => new(bottleneck, edge: true, head: null);

    public static TextSideWeights Server(TokenBottleneck bottleneck, Linear? head) => new(bottleneck, edge: false, head);
}
