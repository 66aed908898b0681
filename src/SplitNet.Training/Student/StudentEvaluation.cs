using SplitNet.Codec.Entropy;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Entropy;
using SplitNet.Models.Student;
using static TorchSharp.torch;

namespace SplitNet.Training.Student;

/// <summary>Accuracy and real coded size of a student on a labelled set.</summary>
/// <param name="Accuracy">Top-1 accuracy through encode → quantize → decode → tail.</param>
/// <param name="CodedBytes">Mean bytes per image of the CompressAI-compatible stream.</param>
/// <param name="CompactBytes">Mean bytes per image of the compact stream.</param>
/// <param name="IdealBytes">Mean Σ −log₂ p per image under the same integer tables.</param>
/// <param name="OneStreamBytes">At the top rung of a ladder: mean bytes of the same latent in one compact stream instead of segments (null otherwise).</param>
public sealed record StudentScore(double Accuracy, double CodedBytes, double CompactBytes, double IdealBytes, int Images, double? OneStreamBytes = null);

/// <summary>A student's whole latent on a finer quantization grid: accuracy and Σ −log₂ P under its learned densities.</summary>
public sealed record GridScore(double Accuracy, double IdealBytes);

public static class StudentEvaluation
{
    /// <summary>
    /// Every channel of <paramref name="edge"/>'s latent rounded on a grid of <paramref name="step"/>
    /// around the medians (a gain of 1/step before quantization, its inverse after) and classified
    /// by <paramref name="server"/>: what a level with a finer grid would buy. Bytes are ideal, from
    /// the continuous densities: no coder has tables for it.
    /// </summary>
    public static GridScore EvaluateOnGrid(EntropicStudent edge, EntropicStudent server, LabeledImages images, double step, int batchSize = 250)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(step);
        edge.eval();
        server.eval();
        int correct = 0;
        double bits = 0;
        using var mode = inference_mode();
        for (int start = 0; start < images.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, images.Count - start);
            using var scope = NewDisposeScope();
            var yHat = edge.Bottleneck.Quantize(edge.Encoder.call(ImageTensors.Batch(images, start, count)), QuantizationMode.Dequantize, step);
            bits += edge.Bottleneck.Likelihood(yHat, step).clamp_min(1e-9).log2().sum().neg().item<float>();
            correct += Correct(server.Classify(yHat), images, start);
        }
        return new GridScore((double)correct / images.Count, bits / 8 / images.Count);
    }

    public static StudentScore Evaluate(EntropicStudent student, LabeledImages images, int batchSize = 250) =>
        Evaluate(student, student, images, batchSize);

    /// <summary>A variable-rate student at every rung of <paramref name="ladder"/>: each frame the prefix of its embedded stream that carries the rung's channels, the rest zero.</summary>
    public static IReadOnlyList<(int Channels, StudentScore Score)> Evaluate(EntropicStudent student, LabeledImages images, ChannelLadder ladder, int batchSize = 250) =>
        [.. ladder.Channels.Select((n, rung) => (n, Evaluate(student, student, images, batchSize, (ladder.Channels, rung))))];

    /// <summary>One level of a bundled split model, as its frames ship (a variable-rate model's at its rung).</summary>
    public static StudentScore Evaluate(TorchLevel level, LabeledImages images, int batchSize = 250) =>
        Evaluate(level.Edge, level.Server, images, batchSize, level.Ladder is { } ladder ? (ladder, level.Level) : null);

    /// <summary>
    /// Scores a split as deployed: <paramref name="edge"/>'s encoder and entropy model code each
    /// image into the streams that ship (<see cref="EntropyModel.Compress(ReadOnlySpan{int})"/>),
    /// <paramref name="server"/>'s decoder and tail classify what its entropy model decodes from
    /// them (the two sides of one bundle level); at a <paramref name="rung"/> of a variable-rate
    /// ladder, through that rung's models (<see cref="EntropyModel.AtRung"/>).
    /// </summary>
    public static StudentScore Evaluate(EntropicStudent edge, EntropicStudent server, LabeledImages images, int batchSize = 250, (IReadOnlyList<int> Ladder, int Index)? rung = null)
    {
        edge.eval();
        server.eval();
        EntropyModel At(EntropyModel model) => rung is { } r ? model.AtRung(r.Ladder, r.Index) : model;
        var (coder, compactCoder, decoder) = (At(edge.Bottleneck.Model(LatentStream.CompressAI)), At(edge.Bottleneck.Model(LatentStream.Compact)), At(server.Bottleneck.Model(LatentStream.Compact)));
        var oneStreamCoder = rung is { } top && top.Index == top.Ladder.Count - 1 ? edge.Bottleneck.Model(LatentStream.Compact) : null;
        int correct = 0;
        long coded = 0, compact = 0, oneStream = 0;
        double idealBits = 0;
        using var mode = inference_mode();
        for (int start = 0; start < images.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, images.Count - start);
            using var scope = NewDisposeScope();
            var y = edge.Encoder.call(ImageTensors.Batch(images, start, count));
            var symbols = edge.Bottleneck.Quantize(y, QuantizationMode.Symbols).contiguous().data<int>().ToArray();
            int perImage = symbols.Length / count;
            var yHat = new float[symbols.Length];
            for (int i = 0; i < count; i++)
            {
                var image = symbols.AsSpan(i * perImage, perImage);
                coded += coder.Compress(image).Length;
                var stream = compactCoder.Compress(image);
                compact += stream.Length;
                oneStream += oneStreamCoder?.Compress(image).Length ?? 0;
                idealBits += coder.IdealBits(image);
                if (!decoder.TryDecompress(stream, yHat.AsSpan(i * perImage, perImage), out var error))
                {
                    throw new InvalidDataException($"image {start + i}: the server side cannot decode the edge's stream ({error}).");
                }
            }
            var decoded = tensor(yHat, y.shape);
            correct += Correct(server.Classify(decoded), images, start);
        }
        return new StudentScore((double)correct / images.Count, (double)coded / images.Count, (double)compact / images.Count, idealBits / 8 / images.Count, images.Count,
            oneStreamCoder is null ? null : (double)oneStream / images.Count);
    }

    /// <summary>How many of the images from <paramref name="start"/> on the batch's top logit gets right.</summary>
    private static int Correct(Tensor logits, LabeledImages images, int start)
    {
        var predictions = logits.argmax(1).to(ScalarType.Int32).data<int>().ToArray();
        int correct = 0;
        for (int i = 0; i < predictions.Length; i++)
        {
            correct += predictions[i] == images.Labels[start + i] ? 1 : 0;
        }
        return correct;
    }
}
