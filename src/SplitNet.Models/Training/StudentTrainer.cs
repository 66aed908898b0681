using System.Diagnostics;
using SplitNet.Models.Data;
using SplitNet.Models.Entropy;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SplitNet.Models.Training;

/// <summary>
/// Two-stage Entropic Student training against a frozen teacher.
/// Stage 1: Σ squared error at the split and after stage 3, + β·bits, (+ task KL), + the
/// quantiles' aux loss; then <see cref="EntropyBottleneck.Update"/>. Stage 2: encoder and
/// entropy model frozen, decoder and tail fine-tuned on the quantized latent with ½·CE + ½·KL.
/// </summary>
public sealed class StudentTrainer(TeacherNet teacher, StudentTrainingOptions options, StudentConfig config)
{
    /// <summary>Trains a student and returns it in eval mode with its tables built.</summary>
    public EntropicStudent Run(LabeledImages train, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        if (options.TrainLimit > 0)
        {
            train = train.Take(options.TrainLimit);
        }
        random.manual_seed(options.Seed);
        teacher.eval();
        foreach (var p in teacher.parameters())
        {
            p.requires_grad = false;
        }
        var student = new EntropicStudent(config, teacher.Config);
        student.Tail.load_state_dict(teacher.state_dict());

        var stage1 = Parameters(student.Encoder, student.Decoder, student.Bottleneck);
        SetTrainable(student.Tail, false);
        RunStage(1, options.Stage1Epochs, optim.Adam(stage1, options.Stage1LearningRate), train, progress, cancellation,
            (x, labels) => Stage1Loss(student, x));

        student.Bottleneck.Update(force: true);
        SetTrainable(student.Encoder, false);
        SetTrainable(student.Bottleneck, false);
        SetTrainable(student.Tail, true);
        var stage2 = Parameters(student.Decoder, student.Tail);
        RunStage(2, options.Stage2Epochs, optim.Adam(stage2, options.Stage2LearningRate), train, progress, cancellation,
            (x, labels) => Stage2Loss(student, x, labels));
        student.eval();
        return student;
    }

    private Tensor Stage1Loss(EntropicStudent student, Tensor x)
    {
        student.train();
        student.Tail.eval();
        Tensor h2, h3, teacherLogits;
        using (no_grad())
        {
            h2 = teacher.Run(x, TeacherStage.Stem, TeacherStage.Stage2);
            h3 = teacher.Stage(TeacherStage.Stage3).call(h2);
            teacherLogits = teacher.Stage(TeacherStage.Head).call(h3);
        }
        var bottleneck = student.Bottleneck;
        var y = student.Encoder.call(x);
        var (yNoisy, likelihoods) = bottleneck.Forward(y, QuantizationMode.Noise);
        var yDecoder = options.StraightThrough
            ? y + (bottleneck.Quantize(y, QuantizationMode.Dequantize) - y).detach()
            : yNoisy;
        var s2 = student.Decoder.call(yDecoder);
        var s3 = student.Tail.Stage(TeacherStage.Stage3).call(s2);
        long n = x.shape[0];
        var distortion = ((s2 - h2).square().sum() + (s3 - h3).square().sum()) / n;
        var bits = -likelihoods.log2().sum() / n;
        var loss = distortion + options.Beta * bits + bottleneck.AuxLoss();
        if (options.TaskWeight > 0)
        {
            var studentLogits = student.Tail.Stage(TeacherStage.Head).call(s3);
            loss = loss + options.TaskWeight * Kl(studentLogits, teacherLogits);
        }
        return loss;
    }

    private Tensor Stage2Loss(EntropicStudent student, Tensor x, Tensor labels)
    {
        student.train();
        student.Encoder.eval();
        Tensor yHat, teacherLogits;
        using (no_grad())
        {
            yHat = student.Bottleneck.Quantize(student.Encoder.call(x), QuantizationMode.Dequantize);
            teacherLogits = teacher.call(x);
        }
        var logits = student.Classify(yHat);
        return 0.5 * nn.functional.cross_entropy(logits, labels) + 0.5 * Kl(logits, teacherLogits);
    }

    // KL(teacher ‖ student) at T = 1, summed over classes, mean over the batch.
    private static Tensor Kl(Tensor studentLogits, Tensor teacherLogits)
    {
        var teacherLog = nn.functional.log_softmax(teacherLogits, 1);
        return (teacherLog.exp() * (teacherLog - nn.functional.log_softmax(studentLogits, 1))).sum(1).mean();
    }

    private void RunStage(int stage, int epochs, optim.Optimizer optimizer, LabeledImages train, IProgress<TrainingProgress>? progress,
        CancellationToken cancellation, Func<Tensor, Tensor, Tensor> loss)
    {
        int steps = (train.Count + options.BatchSize - 1) / options.BatchSize;
        var order = Enumerable.Range(0, train.Count).ToArray();
        var labels = new byte[options.BatchSize];
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            var rng = new Random(HashCode.Combine(options.Seed, stage, epoch));
            rng.Shuffle(order);
            double sum = 0;
            for (int step = 0; step < steps; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                int start = step * options.BatchSize, count = Math.Min(options.BatchSize, train.Count - start);
                var batch = order.AsSpan(start, count);
                for (int i = 0; i < count; i++)
                {
                    labels[i] = train.Labels[batch[i]];
                }
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                var value = loss(ImageTensors.Augmented(train, batch, 2, rng), ImageTensors.Labels(labels.AsSpan(0, count)));
                value.backward();
                optimizer.step();
                sum += value.item<float>();
                progress?.Report(new TrainingProgress(epoch, epochs, step + 1, steps, sum / (step + 1),
                    (start + count) / clock.Elapsed.TotalSeconds, Stage: stage));
            }
        }
    }

    private static List<Parameter> Parameters(params nn.Module[] modules) =>
        modules.SelectMany(m => m.parameters()).Where(p => p.requires_grad).ToList();

    private static void SetTrainable(nn.Module module, bool trainable)
    {
        foreach (var p in module.parameters())
        {
            p.requires_grad = trainable;
        }
    }
}
