using System.Security.Cryptography;
using System.Text;
using SplitNet.Models.Data;
using SplitNet.Models.Entropy;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using static TorchSharp.torch;

namespace SplitNet.Training.EarlyExit;

/// <summary>
/// Trains an <see cref="EarlyExitHead"/> on the frozen edge half of one rate level: the loss is
/// T²·KL(teacher ‖ head) at temperature T plus a weighted cross-entropy on the labels, with the
/// teacher's logits computed once for the whole training set. Every epoch is checkpointed in the
/// run folder; a run started again there resumes.
/// </summary>
public sealed class EarlyExitTrainer(string runDirectory, EntropicStudent edge, EarlyExitOptions options)
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

    /// <summary>
    /// Trains (or finishes training) a head on <paramref name="train"/>, distilling
    /// <paramref name="teacherLogits"/> (from <see cref="TeacherLogits"/>), and returns it in eval
    /// mode with its last test accuracy.
    /// </summary>
    public (EarlyExitHead Head, double Accuracy) Run(float[] teacherLogits, LabeledImages train, LabeledImages test,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        var loop = new TrainingLoop(runDirectory, "head.safetensors", options.Seed, options.BatchSize);
        edge.eval();
        int classes = teacherLogits.Length / train.Count;
        var head = new EarlyExitHead(edge.Config.LatentChannels, classes);
        var optimizer = optim.Adam(head.parameters(), options.LearningRate);
        var fingerprint = Fingerprint(edge);
        var state = loop.Resume(head, s => s.Options == options && s.Edge == fingerprint && s.Images == train.Count,
            () => new EarlyExitCheckpoint { Options = options, Edge = fingerprint, Images = train.Count });
        state = loop.Run(state, head, new TrainingStage<EarlyExitCheckpoint, TrainingBatch>
        {
            Epochs = options.Epochs,
            Optimizer = optimizer,
            Schedule = total => optim.lr_scheduler.CosineAnnealingLR(optimizer, total),
            Loss = batch => Loss(head, batch, teacherLogits, classes),
            Evaluate = () =>
            {
                head.eval();
                return Evaluate(edge, head, test).Accuracy;
            },
            Advance = SingleStageCheckpoint.After,
        }, new ImageTrainingData(train, options.CropPadding), progress, cancellation);
        head.eval();
        return (head, state.History.Count > 0 ? state.History[^1].TestAccuracy : 0);
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

    private Tensor Loss(EarlyExitHead head, TrainingBatch batch, float[] teacherLogits, int classes)
    {
        Tensor yHat;
        using (no_grad())
        {
            yHat = Latent(edge, batch.Images);
        }
        var indices = batch.Indices.Span;
        var targets = new float[indices.Length * classes];
        for (int i = 0; i < indices.Length; i++)
        {
            Array.Copy(teacherLogits, indices[i] * classes, targets, i * classes, classes);
        }
        var logits = head.call(yHat);
        var distill = Distillation.Kl(logits, tensor(targets, [indices.Length, classes]), options.Temperature);
        return distill + options.LabelWeight * nn.functional.cross_entropy(logits, batch.Labels);
    }

    // Only what the edge half runs: an edge bundle leaves the decoder and tail as constructed.
    private static string Fingerprint(EntropicStudent edge)
    {
        using var scope = NewDisposeScope();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, value) in edge.Encoder.state_dict().Concat(edge.Bottleneck.state_dict()))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(name));
            sha.AppendData(value.contiguous().bytes);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
