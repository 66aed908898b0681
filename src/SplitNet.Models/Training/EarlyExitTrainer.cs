using System.Diagnostics;
using SplitNet.Models.Data;
using SplitNet.Models.Entropy;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using static TorchSharp.torch;

namespace SplitNet.Models.Training;

/// <summary>Settings of early-exit training; defaults are what the shipped heads used.</summary>
public sealed record EarlyExitOptions(int Epochs = 3, int BatchSize = 128, double LearningRate = 2e-3, double Temperature = 2, double LabelWeight = 0.5, int Seed = 1);

/// <summary>
/// Trains an <see cref="EarlyExitHead"/> on the frozen edge half of one rate level: the loss is
/// T²·KL(teacher ‖ head) at temperature T plus a weighted cross-entropy on the labels, with the
/// teacher's logits computed once for the whole training set.
/// </summary>
public static class EarlyExitTrainer
{
    /// <summary>The teacher's logits on every training image (N × classes), in order.</summary>
    public static float[] TeacherLogits(TeacherNet teacher, LabeledImages images, int batchSize = 500)
    {
        teacher.eval();
        int classes = teacher.Config.Classes;
        var logits = new float[images.Count * classes];
        for (int start = 0; start < images.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, images.Count - start);
            using var mode = inference_mode();
            using var scope = NewDisposeScope();
            teacher.call(ImageTensors.Batch(images, start, count)).data<float>().CopyTo(logits, start * classes);
        }
        return logits;
    }

    /// <summary>ŷ of a batch of images as the edge half codes it (rounded around the medians).</summary>
    public static Tensor Latent(EntropicStudent edge, Tensor images) =>
        edge.Bottleneck.Quantize(edge.Encoder.call(images), QuantizationMode.Dequantize);

    public static (EarlyExitHead Head, double Accuracy) Train(
        EntropicStudent edge, float[] teacherLogits, LabeledImages train, LabeledImages test, EarlyExitOptions options,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        random.manual_seed(options.Seed);
        edge.eval();
        int classes = teacherLogits.Length / train.Count;
        var head = new EarlyExitHead(edge.Config.LatentChannels, classes);
        var optimizer = optim.Adam(head.parameters(), options.LearningRate);
        int steps = (train.Count + options.BatchSize - 1) / options.BatchSize;
        var schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, options.Epochs * steps);
        var order = Enumerable.Range(0, train.Count).ToArray();
        double accuracy = 0;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            // Order and mirroring depend only on (seed, epoch): the same command trains the same head.
            var rng = new Random(HashCode.Combine(options.Seed, epoch));
            rng.Shuffle(order);
            head.train();
            double lossSum = 0;
            for (int step = 0; step < steps; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                int start = step * options.BatchSize, count = Math.Min(options.BatchSize, train.Count - start);
                var batch = order.AsSpan(start, count);
                using var scope = NewDisposeScope();
                Tensor yHat;
                using (no_grad())
                {
                    yHat = Latent(edge, ImageTensors.Augmented(train, batch, 0, rng));
                }
                var targets = new float[count * classes];
                var labels = new byte[count];
                for (int i = 0; i < count; i++)
                {
                    Array.Copy(teacherLogits, batch[i] * classes, targets, i * classes, classes);
                    labels[i] = train.Labels[batch[i]];
                }
                var logits = head.call(yHat);
                double t = options.Temperature;
                var logTeacher = nn.functional.log_softmax(tensor(targets, [count, classes]) / t, 1);
                var logHead = nn.functional.log_softmax(logits / t, 1);
                var distill = (logTeacher.exp() * (logTeacher - logHead)).sum() / count * (t * t);
                var loss = distill + options.LabelWeight * nn.functional.cross_entropy(logits, ImageTensors.Labels(labels));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                schedule.step();
                lossSum += loss.item<float>();
                progress?.Report(new TrainingProgress(epoch, options.Epochs, step + 1, steps, lossSum / (step + 1), (start + count) / clock.Elapsed.TotalSeconds));
            }
            head.eval();
            accuracy = Evaluate(edge, head, test).Accuracy;
            progress?.Report(new TrainingProgress(epoch, options.Epochs, steps, steps, lossSum / steps, train.Count / clock.Elapsed.TotalSeconds, accuracy));
        }
        return (head, accuracy);
    }

    /// <summary>The head's softmax on every image, and its top-1 accuracy.</summary>
    public static (float[] Probabilities, double Accuracy) Evaluate(EntropicStudent edge, EarlyExitHead head, LabeledImages images, int batchSize = 500)
    {
        int classes = (int)head.parameters().Last().shape[0];
        var probabilities = new float[images.Count * classes];
        int correct = 0;
        for (int start = 0; start < images.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, images.Count - start);
            using var mode = inference_mode();
            using var scope = NewDisposeScope();
            var p = nn.functional.softmax(head.call(Latent(edge, ImageTensors.Batch(images, start, count))), 1);
            p.data<float>().CopyTo(probabilities, start * classes);
            var predicted = p.argmax(1).data<long>().ToArray();
            for (int i = 0; i < count; i++)
            {
                correct += predicted[i] == images.Labels[start + i] ? 1 : 0;
            }
        }
        return (probabilities, (double)correct / images.Count);
    }
}
