using SplitNet.Codec;
using SplitNet.Contracts.V1;
using SplitNet.Models.Split;

namespace SplitNet.Edge;

/// <summary>
/// The edge of a text model's server-only deployment: no layer runs on the device; the sentence
/// itself goes out as UTF-8 (<see cref="TextCodec"/>) and the server tokenizes it and runs the
/// whole model. The baseline a text split has to beat on the uplink.
/// </summary>
public sealed class SentenceEdgeHead(string modelId) : IFrameEncoder
{
    /// <summary>Sentence payloads describe themselves: nothing to declare.</summary>
    public StreamOpen? Open => null;

    public string ModelId => modelId;

    public EncodedFrame Encode(SplitInput input)
    {
        input.Expect(InputKind.Tokens);
        if (input.Text.IsEmpty)
        {
            throw new ArgumentException("this input carries no sentence, only token ids; make it with SplitInput.Sentence", nameof(input));
        }
        return new EncodedFrame(TextCodec.Encode(modelId, FeatureSplitPoint.InputId, input.Text), 0);
    }
}
