using System.Diagnostics;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Entropy;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SplitNet.Models.Training;

/// <summary>
/// Two-stage Entropic Student training against a frozen teacher.
/// Stage 1: Σ squared error at the split and after stage 3, + β·bits, (+ task KL), + the
/// quantiles' aux loss; then <see cref="EntropyBottleneck.Update"/>. Stage 2: encoder and
/// entropy model frozen, decoder and tail fine-tuned on the quantized latent with ½·CE + ½·KL.
/// Every epoch is checkpointed in the run folder; a run started again there resumes.
/// </summary>
public sealed class StudentTrainer(string runDirectory, TeacherNet teacher, StudentTrainingOptions options, StudentConfig config)
{
    private readonly Stage1Terms _terms = new();

    private string StatePath => Path.Combine(runDirectory, "state.json");
    private string ModelPath => Path.Combine(runDirectory, "student.safetensors");
    private string OptimizerPath => Path.Combine(runDirectory, "optimizer.bin");

    /// <summary>Trains (or finishes training) a student and returns it in eval mode with its tables built.</summary>
    public (EntropicStudent Student, StudentCheckpoint State) Run(LabeledImages train, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        Directory.CreateDirectory(runDirectory);
        if (options.TrainLimit > 0)
        {
            train = train.Take(options.TrainLimit);
        }
        random.manual_seed(options.Seed);
        teacher.eval();
        SetTrainable(teacher, false);
        var student = new EntropicStudent(config, teacher.Config);
        student.LoadTeacher(teacher);
        var state = new StudentCheckpoint { Options = options, Architecture = config };
        if (!File.Exists(StatePath) && options.InitFrom is { } init)
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
        if (File.Exists(StatePath))
        {
            state = BundleJson.Read<StudentCheckpoint>(StatePath);
            if (state.Options != options || state.Architecture != config)
            {
                throw new InvalidOperationException($"{StatePath}: the run was started with other settings; use a new --out folder.");
            }
            if (SafetensorsHeader.ReadShapes(ModelPath).TryGetValue("entropy_bottleneck._quantized_cdf", out var tables) && tables.Length == 2)
            {
                student.Bottleneck.PrepareTables(tables);
            }
            student.load_safetensors(ModelPath, strict: true);
        }

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
            var optimizer = optim.Adam(Parameters([.. trained]), options.Stage1LearningRate);
            state = RunStage(state, options.Stage1Epochs, optimizer, student, train, progress, cancellation, (x, _) => Stage1Loss(student, x));
            student.Bottleneck.Update(force: true);
            state = Save(state with { Stage = 2, EpochsDone = 0 }, student, optimizer: null);
        }
        if (state.Stage == 2)
        {
            SetTrainable(student.Encoder, false);
            SetTrainable(student.Bottleneck, false);
            SetTrainable(student.Tail, true);
            var optimizer = optim.Adam(Parameters([student.Decoder, .. TailStages(student)]), options.Stage2LearningRate);
            state = RunStage(state, options.Stage2Epochs, optimizer, student, train, progress, cancellation, (x, labels) => Stage2Loss(student, x, labels));
            state = Save(state with { Stage = 3, EpochsDone = 0 }, student, optimizer: null);
        }
        student.eval();
        return (student, state);
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
        // g_a's teacher layers are frozen copies of the teacher's: their output is h1.
        var y = h1 is null ? student.Encoder.call(x) : student.EncodeStage1Feature(h1);
        var (yNoisy, likelihoods) = bottleneck.Forward(y, QuantizationMode.Noise);
        var yDecoder = options.StraightThrough
            ? y + (bottleneck.Quantize(y, QuantizationMode.Dequantize) - y).detach()
            : yNoisy;
        var s2 = student.Decoder.call(yDecoder);
        var s3 = student.Tail.Stage(TeacherStage.Stage3).call(s2);
        long n = x.shape[0];
        var distortion = ((s2 - h2).square().sum() + (s3 - h3).square().sum()) / n;
        var bits = -likelihoods.log2().sum() / n;
        var kl = Kl(student.Tail.Stage(TeacherStage.Head).call(s3), teacherLogits);
        // Unweighted terms per image, so the weights can be calibrated from the history.
        _terms.Add(distortion.item<float>(), bits.item<float>(), kl.item<float>());
        var loss = options.FeatureWeight * distortion + options.Beta * bits + bottleneck.AuxLoss();
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
        var logits = student.Classify(yHat);
        return 0.5 * nn.functional.cross_entropy(logits, labels) + 0.5 * Kl(logits, teacherLogits);
    }

    // KL(teacher ‖ student) at T = 1, summed over classes, mean over the batch.
    private static Tensor Kl(Tensor studentLogits, Tensor teacherLogits)
    {
        var teacherLog = nn.functional.log_softmax(teacherLogits, 1);
        return (teacherLog.exp() * (teacherLog - nn.functional.log_softmax(studentLogits, 1))).sum(1).mean();
    }

    private StudentCheckpoint RunStage(StudentCheckpoint state, int epochs, OptimizerHelper optimizer, EntropicStudent student,
        LabeledImages train, IProgress<TrainingProgress>? progress, CancellationToken cancellation, Func<Tensor, Tensor, Tensor> loss)
    {
        if (state.EpochsDone > 0)
        {
            optimizer.load_py(OptimizerPath);
        }
        int steps = (train.Count + options.BatchSize - 1) / options.BatchSize;
        var schedule = options.CosineDecay
            ? optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs * steps, optimizer.ParamGroups.First().LearningRate / 20)
            : null;
        for (int i = 0; i < state.EpochsDone * steps; i++)
        {
            schedule?.step();
        }
        var order = Enumerable.Range(0, train.Count).ToArray();
        var labels = new byte[options.BatchSize];
        for (int epoch = state.EpochsDone + 1; epoch <= epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            // Order and augmentation depend only on (seed, stage, epoch): a resumed run sees the same data.
            var rng = new Random(HashCode.Combine(options.Seed, state.Stage, epoch));
            rng.Shuffle(order);
            double sum = 0;
            _terms.Reset();
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
                schedule?.step();
                sum += value.item<float>();
                progress?.Report(new TrainingProgress(epoch, epochs, step + 1, steps, sum / (step + 1),
                    (start + count) / clock.Elapsed.TotalSeconds, Stage: state.Stage, Detail: _terms.ToString()));
            }
            var seconds = clock.Elapsed.TotalSeconds;
            state = Save(state with
            {
                EpochsDone = epoch,
                Seconds = state.Seconds + seconds,
                History = [.. state.History, new StudentEpochRecord(state.Stage, epoch, sum / steps, seconds, _terms.Mean())],
            }, student, optimizer);
        }
        return state;
    }

    private StudentCheckpoint Save(StudentCheckpoint state, EntropicStudent student, OptimizerHelper? optimizer)
    {
        student.save_safetensors(ModelPath);
        if (optimizer is not null)
        {
            optimizer.save_py(OptimizerPath);
        }
        BundleJson.Write(StatePath, state);
        return state;
    }

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

        public void Reset() => (_distortion, _bits, _kl, _count) = (0, 0, 0, 0);

        public StudentLossTerms? Mean() => _count == 0 ? null : new(_distortion / _count, _bits / _count, _kl / _count);

        public override string ToString() => _count == 0 ? "" : $"sse {_distortion / _count:F0}  bits {_bits / _count:F1}  kl {_kl / _count:F3}";
    }
}
