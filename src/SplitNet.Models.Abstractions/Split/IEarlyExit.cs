namespace SplitNet.Models.Split;

/// <summary>
/// A small classifier the edge runs on ŷ of one rate level; when it is confident the frame need
/// not be sent. It reads the same ŷ the server would decode (symbols + medians).
/// </summary>
public interface IEarlyExit : IDisposable
{
    /// <summary>The head's softmax on one frame's ŷ of <paramref name="length"/> along the variable axis.</summary>
    float[] Probabilities(ReadOnlySpan<float> yHat, int length);
}
