using SplitNet.Codec.Entropy;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Entropy;
using SplitNet.Models.Student;
using static TorchSharp.torch;

namespace SplitNet.Evaluation;

/// <summary>One threshold τ of one level: how many frames the edge answers itself, the accuracy of the mix, and the bytes sent.</summary>
/// <param name="Level">Rate level.</param>
/// <param name="Tau">Confidence threshold (above 1: never exit, always offload).</param>
/// <param name="ExitShare">Frames answered on the edge.</param>
/// <param name="Accuracy">Accuracy when exited frames take the head's answer and the rest the server's.</param>
/// <param name="BytesPerFrame">Coded bytes sent per frame, exited frames counting 0.</param>
/// <param name="ExitAccuracy">Accuracy of the head on the frames it answers.</param>
public sealed record EarlyExitPoint(int Level, double Tau, double ExitShare, double Accuracy, double BytesPerFrame, double ExitAccuracy);

/// <summary>The accuracy / bytes-sent curve over τ for one level's early-exit head.</summary>
public static class EarlyExitCurve
{
    public static readonly double[] Thresholds = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 1.01];

    public static IReadOnlyList<EarlyExitPoint> Measure(TorchLevel level, EarlyExitHead head, LatentStream stream, LabeledImages images, int batchSize = 250)
    {
        var (edge, server) = (level.Edge, level.Server);
        var (coder, decoder) = (level.Entropy(edge, stream), level.Entropy(server, stream));
        int n = images.Count;
        var exitConfidence = new float[n];
        var exitClass = new int[n];
        var serverClass = new int[n];
        var bytes = new int[n];
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            using var mode = inference_mode();
            using var scope = NewDisposeScope();
            var y = edge.Encoder.call(ImageTensors.Batch(images, start, count));
            var strings = edge.Bottleneck.Compress(y, coder);
            var yHat = server.Bottleneck.Decompress(strings, StudentConfig.LatentSize, StudentConfig.LatentSize, decoder);
            // The head runs on the edge, on the whole latent it coded (a variable-rate model sends a prefix of it).
            var (confidence, cls) = nn.functional.softmax(head.call(edge.Bottleneck.Quantize(y, QuantizationMode.Dequantize)), 1).max(1);
            var served = server.Classify(yHat).argmax(1);
            confidence.data<float>().CopyTo(exitConfidence, start);
            var c = cls.data<long>().ToArray();
            var s = served.data<long>().ToArray();
            for (int i = 0; i < count; i++)
            {
                exitClass[start + i] = (int)c[i];
                serverClass[start + i] = (int)s[i];
                bytes[start + i] = strings[i].Length;
            }
        }
        return [.. Thresholds.Select(tau =>
        {
            int exited = 0, correct = 0, exitCorrect = 0;
            long sent = 0;
            for (int i = 0; i < n; i++)
            {
                bool exit = exitConfidence[i] >= tau;
                int answer = exit ? exitClass[i] : serverClass[i];
                correct += answer == images.Labels[i] ? 1 : 0;
                if (exit)
                {
                    exited++;
                    exitCorrect += answer == images.Labels[i] ? 1 : 0;
                }
                else
                {
                    sent += bytes[i];
                }
            }
            return new EarlyExitPoint(level.Level, tau, (double)exited / n, (double)correct / n, (double)sent / n, exited == 0 ? 0 : (double)exitCorrect / exited);
        })];
    }
}
