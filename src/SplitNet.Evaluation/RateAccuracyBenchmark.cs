using System.Globalization;
using SplitNet.Codec;
using SplitNet.Models.Data;
using SplitNet.Models.Split;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using SplitNet.Training.Student;
using static TorchSharp.torch;

namespace SplitNet.Evaluation;

/// <summary>Measures every method of the rate–accuracy comparison on one labelled set.</summary>
public sealed class RateAccuracyBenchmark(TeacherNet teacher, LabeledImages images)
{
    /// <summary>The teacher on uncompressed images (784 bytes of raw pixels).</summary>
    public RateAccuracyRow Teacher() =>
        new("teacher", "raw", TeacherEvaluation.Accuracy(TeacherEvaluation.Predict(teacher, images), images.Labels), images.PixelsPerImage);

    /// <summary>Server-only baseline: code each image, decode it, run the whole teacher.</summary>
    public RateAccuracyRow InputCodec(InputCodec codec)
    {
        var decoded = new byte[images.Pixels.Length];
        long bytes = 0;
        for (int i = 0; i < images.Count; i++)
        {
            bytes += codec.RoundTrip(images.Image(i), images.Height, images.Width, decoded.AsSpan(i * images.PixelsPerImage, images.PixelsPerImage));
        }
        var received = new LabeledImages(decoded, images.Labels, images.Height, images.Width);
        var accuracy = TeacherEvaluation.Accuracy(TeacherEvaluation.Predict(teacher, received), images.Labels);
        return new RateAccuracyRow(codec.Method, codec.Setting, accuracy, (double)bytes / images.Count);
    }

    /// <summary>The teacher cut after <paramref name="split"/>, its feature sent with a naive codec (body bytes, no header).</summary>
    public RateAccuracyRow NaiveSplit(FeatureSplitPoint split, CodecId codec, int batchSize = 250)
    {
        var shape = new TensorShape(split.Feature.Dimensions);
        int perImage = (int)shape.ElementCount;
        long bytes = 0;
        var predictions = new int[images.Count];
        teacher.eval();
        using var mode = inference_mode();
        for (int start = 0; start < images.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, images.Count - start);
            using var scope = NewDisposeScope();
            var features = FeatureSplit.RunHead(teacher, split, ImageTensors.Batch(images, start, count)).contiguous().data<float>().ToArray();
            var received = new float[features.Length];
            for (int i = 0; i < count; i++)
            {
                var payload = FeatureCodec.Encode(codec, "naive", split.Id, shape, features.AsSpan(i * perImage, perImage));
                PayloadHeader.TryRead(payload, out var header, out var headerLength, out _);
                FeatureCodec.TryDecodeBody(payload, header, headerLength, received.AsSpan(i * perImage, perImage), out _);
                bytes += payload.Length - headerLength;
            }
            var logits = FeatureSplit.RunTail(teacher, split, tensor(received, [count, .. shape.Dimensions.ToArray().Select(d => (long)d)]));
            logits.argmax(1).to(ScalarType.Int32).data<int>().ToArray().CopyTo(predictions, start);
        }
        var name = codec == CodecId.RawFloat32 ? "split-float32" : "split-affine8-lz4";
        return new RateAccuracyRow(name, split.Name, TeacherEvaluation.Accuracy(predictions, images.Labels), (double)bytes / images.Count);
    }

    /// <summary>An Entropic Student at one rate level.</summary>
    public RateAccuracyRow Student(EntropicStudent student, string method, string setting, long encoderMacs) =>
        Student(student, student, method, setting, encoderMacs);

    /// <summary>The whole latent of a split-model level on a finer quantization grid (ideal bytes): the gain-vector ablation.</summary>
    public RateAccuracyRow FinerGrid(EntropicStudent edge, EntropicStudent server, string method, double step, long encoderMacs)
    {
        var score = StudentEvaluation.EvaluateOnGrid(edge, server, images, step);
        return new RateAccuracyRow(method, $"step {step.ToString(CultureInfo.InvariantCulture)}", score.Accuracy, score.IdealBytes, EncoderMacs: encoderMacs);
    }

    /// <summary>One rate level of a split-model bundle: the edge side codes, the server side classifies (at a <paramref name="rung"/> of a variable-rate student, its prefix).</summary>
    public RateAccuracyRow Student(EntropicStudent edge, EntropicStudent server, string method, string setting, long encoderMacs, (IReadOnlyList<int> Ladder, int Index)? rung = null)
    {
        var score = StudentEvaluation.Evaluate(edge, server, images, rung: rung);
        return new RateAccuracyRow(method, setting, score.Accuracy, score.CodedBytes, score.IdealBytes, score.CompactBytes, encoderMacs, score.OneStreamBytes);
    }
}
