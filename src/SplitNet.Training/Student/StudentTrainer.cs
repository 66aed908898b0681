using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Entropy;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SplitNet.Training.Student;

/// <summary>
/// Two-stage Entropic Student training against a frozen teacher.
/// Stage 1: Σ squared error at the split and after stage 3, + β·bits (β per channel on a ladder), (+ task KL), + the
/// quantiles' aux loss; then <see cref="EntropyBottleneck.Update"/>. Stage 2: encoder and
/// entropy model frozen, decoder and tail fine-tuned on the quantized latent with ½·CE + ½·KL (T = 1).
/// Every epoch is checkpointed in the run folder; a run started again there resumes.
/// </summary>
public sealed class StudentTrainer(string runDirectory, TeacherNet teacher, StudentTrainingOptions options, StudentConfig config)
{
    private readonly Stage1Terms _terms = new();

    /// <summary>Trains (or finishes training) a student and returns it in eval mode with its tables built.</summary>
    public (EntropicStudent Student, StudentCheckpoint State) Run(LabeledImages train, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        if (options.Ladder is { } ladder && ladder.Channels[^1] != config.LatentChannels)
        {
            throw new ArgumentException($"the ladder {ladder} must end at the latent's {config.LatentChannels} channels", nameof(options));
        }
        if (options.TeacherBlockLearningRate > 0 && config.Encoder != StudentEncoder.TeacherBlock)
        {
            throw new ArgumentException($"only the teacher-block encoder has a teacher block to tune, not {config.Encoder}", nameof(options));
        }
        if (options.TrainLimit > 0)
        {
            train = train.Take(options.TrainLimit);
        }
        var loop = new TrainingLoop(runDirectory, "student.safetensors", options.Seed, options.BatchSize);
        var data = new ImageTrainingData(train, options.CropPadding);
        teacher.eval();
        SetTrainable(teacher, false);
        var student = new EntropicStudent(config, teacher.Config);
        student.LoadTeacher(teacher);
        var state = loop.Resume(student, s => s.Options == options && s.Architecture == config,
            start: () =>
            {
                if (options.InitFrom is { } init)
                {
                    WarmStart(student, init);
                }
                return new StudentCheckpoint { Options = options, Architecture = config };
            },
            prepare: weights =>
            {
                if (SafetensorsHeader.ReadShapes(weights).TryGetValue("entropy_bottleneck._quantized_cdf", out var tables) && tables.Length == 2)
                {
                    student.Bottleneck.PrepareTables(tables);
                }
            });

        if (state.Stage == 1)
        {
            SetTrainable(student.Tail, false);
            var trained = new List<nn.Module> { student.Encoder, student.Decoder, student.Bottleneck };
            if (options.Stage1Tail)
            {
                foreach (var stage in TailStages(student))
                {
                    SetTrainable(stage, true);
                    trained.Add(stage);
                }
            }
            var groups = new List<Adam.ParamGroup> { new(Parameters([.. trained]), lr: options.Stage1LearningRate) };
            if (options.TeacherBlockLearningRate > 0)
            {
                var block = student.TeacherLayers[^1].parameters().ToList();
                block.ForEach(p => p.requires_grad = true);
                groups.Add(new(block, lr: options.TeacherBlockLearningRate));
            }
            var optimizer = optim.Adam(groups);
            state = loop.Run(state, student, Stage(1, options.Stage1Epochs, optimizer, batch => Stage1Loss(student, batch.Images)), data, progress, cancellation);
            student.Bottleneck.Update(force: true);
            state = state with { Stage = 2, EpochsDone = 0 };
            loop.Save(state, student, optimizer: null);
        }
        if (state.Stage == 2)
        {
            SetTrainable(student.Encoder, false);
            SetTrainable(student.Bottleneck, false);
            SetTrainable(student.Tail, true);
            var optimizer = optim.Adam(Parameters([student.Decoder, .. TailStages(student)]), options.Stage2LearningRate);
            state = loop.Run(state, student, Stage(2, options.Stage2Epochs, optimizer, batch => Stage2Loss(student, batch.Images, batch.Labels)), data, progress, cancellation);
            state = state with { Stage = 3, EpochsDone = 0 };
            loop.Save(state, student, optimizer: null);
        }
        student.eval();
        return (student, state);
    }

    private TrainingStage<StudentCheckpoint, TrainingBatch> Stage(int stage, int epochs, OptimizerHelper optimizer, Func<TrainingBatch, Tensor> loss) => new()
    {
        Stage = stage,
        Epochs = epochs,
        Optimizer = optimizer,
        // Every parameter group from its own rate to a twentieth of it.
        Schedule = options.CosineDecay
            ? total => optim.lr_scheduler.LambdaLR(optimizer, step => 0.05 + 0.95 * (1 + Math.Cos(Math.PI * Math.Min(step, total) / total)) / 2)
            : null,
        Loss = loss,
        Detail = _terms.ToString,
        Advance = (s, epoch) => s with
        {
            EpochsDone = epoch.Epoch,
            Seconds = s.Seconds + epoch.Seconds,
            History = [.. s.History, new StudentEpochRecord(epoch.Stage, epoch.Epoch, epoch.Loss, epoch.Seconds, _terms.TakeMean())],
        },
    };

    private void WarmStart(EntropicStudent student, string init)
    {
        using var start = StudentRun.Load(init, teacher.Config).Student;
        if (start.Config != config)
        {
            throw new InvalidOperationException($"{init}: its student architecture {start.Config} differs from this run's {config}.");
        }
        student.Bottleneck.PrepareTables(start.Bottleneck.QuantizedCdfShape);
        student.load_state_dict(start.state_dict());
        if (!options.Stage1Tail)
        {
            // Stage 2 tuned the other run's tail; a frozen-tail stage 1 distils through the teacher's own.
            student.LoadTeacher(teacher);
        }
    }

    private Tensor Stage1Loss(EntropicStudent student, Tensor x)
    {
        student.train();
        student.Tail.eval();
        Tensor? h1 = null;
        Tensor h2, h3, teacherLogits;
        using (no_grad())
        {
            if (student.TeacherLayers.Count > 0)
            {
                h1 = teacher.Run(x, TeacherStage.Stem, TeacherStage.Stage1);
                h2 = teacher.Stage(TeacherStage.Stage2).call(h1);
            }
            else
            {
                h2 = teacher.Run(x, TeacherStage.Stem, TeacherStage.Stage2);
            }
            h3 = teacher.Stage(TeacherStage.Stage3).call(h2);
            teacherLogits = teacher.Stage(TeacherStage.Head).call(h3);
        }
        var bottleneck = student.Bottleneck;
        // g_a's stem and stage 1 are frozen copies of the teacher's: their output is h1.
        var y = h1 is null ? student.Encoder.call(x) : student.EncodeStage1Feature(h1);
        var (yNoisy, likelihoods) = bottleneck.Forward(y, QuantizationMode.Noise);
        var yDecoder = options.StraightThrough
            ? y + (bottleneck.Quantize(y, QuantizationMode.Dequantize) - y).detach()
            : yNoisy;
        var (yRungs, passes) = Rungs(yDecoder);
        var s2 = student.Decoder.call(yRungs);
        var s3 = student.Tail.Stage(TeacherStage.Stage3).call(s2);
        long n = x.shape[0];
        var distortion = ((s2 - Repeat(h2, passes)).square().sum() + (s3 - Repeat(h3, passes)).square().sum()) / (n * passes);
        var channelBits = -likelihoods.log2().sum([0, 2, 3]) / n;
        var bits = channelBits.sum();
        var kl = Distillation.Kl(student.Tail.Stage(TeacherStage.Head).call(s3), Repeat(teacherLogits, passes));
        // Unweighted terms per image, so the weights can be calibrated from the history.
        _terms.Add(distortion.item<float>(), bits.item<float>(), kl.item<float>());
        var rate = options.Ladder is { } ladder
            ? (channelBits * tensor(ladder.ChannelBetas(options.Beta), device: channelBits.device)).sum()
            : options.Beta * bits;
        var loss = options.FeatureWeight * distortion + rate + bottleneck.AuxLoss();
        return options.TaskWeight > 0 ? loss + options.TaskWeight * kl : loss;
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
        var (yRungs, passes) = Rungs(yHat);
        var logits = student.Classify(yRungs);
        return 0.5 * nn.functional.cross_entropy(logits, Repeat(labels, passes)) + 0.5 * Distillation.Kl(logits, Repeat(teacherLogits, passes));
    }

    /// <summary>
    /// What the decoder is trained on, and how many passes of the batch that is. With a ladder,
    /// every channel past a rung drawn per image is zeroed, as a server does for the channels a
    /// lower rate leaves out; with its sandwich rule, the whole latent comes first and the rung is
    /// drawn below the top. Without one, the latent as it is.
    /// </summary>
    private (Tensor Latent, int Passes) Rungs(Tensor y)
    {
        if (options.Ladder is not { } ladder)
        {
            return (y, 1);
        }
        int drawn = ladder.Sandwich ? ladder.Channels.Length - 1 : ladder.Channels.Length;
        var rungs = tensor(ladder.Channels, device: y.device);
        var kept = rungs.index_select(0, randint(drawn, [y.shape[0]], dtype: ScalarType.Int64, device: y.device));
        var mask = (arange(y.shape[1], device: y.device).unsqueeze(0) < kept.unsqueeze(1)).to(y.dtype);
        var masked = y * mask.view(y.shape[0], y.shape[1], 1, 1);
        return ladder.Sandwich ? (cat([y, masked]), 2) : (masked, 1);
    }

    private static Tensor Repeat(Tensor target, int passes) => passes == 1 ? target : cat(Enumerable.Repeat(target, passes).ToArray());

    private static nn.Module[] TailStages(EntropicStudent student) =>
        [student.Tail.Stage(TeacherStage.Stage3), student.Tail.Stage(TeacherStage.Head)];

    private static List<Parameter> Parameters(params nn.Module[] modules) =>
        modules.SelectMany(m => m.parameters()).Where(p => p.requires_grad).ToList();

    private static void SetTrainable(nn.Module module, bool trainable)
    {
        foreach (var p in module.parameters())
        {
            p.requires_grad = trainable;
        }
    }

    /// <summary>Running means of stage 1's unweighted loss terms over an epoch.</summary>
    private sealed class Stage1Terms
    {
        private double _distortion, _bits, _kl;
        private int _count;

        public void Add(double distortion, double bits, double kl)
        {
            _distortion += distortion;
            _bits += bits;
            _kl += kl;
            _count++;
        }

        /// <summary>The epoch's means (null when nothing was added), starting the next epoch from zero.</summary>
        public StudentLossTerms? TakeMean()
        {
            var mean = _count == 0 ? null : new StudentLossTerms(_distortion / _count, _bits / _count, _kl / _count);
            (_distortion, _bits, _kl, _count) = (0, 0, 0, 0);
            return mean;
        }

        public override string ToString() => _count == 0 ? "" : $"sse {_distortion / _count:F0}  bits {_bits / _count:F1}  kl {_kl / _count:F3}";
    }
}
