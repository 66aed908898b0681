using System.Diagnostics;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Teacher;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SplitNet.Models.Training;

/// <summary>
/// Trains the teacher with AdamW and a one-cycle schedule, checkpointing after every epoch into
/// a run folder so an interrupted run resumes where it stopped with the same result.
/// </summary>
public sealed class TeacherTrainer(string runDirectory, TeacherTrainingOptions options, TeacherConfig architecture)
{
    private string StatePath => Path.Combine(runDirectory, "state.json");
    private string ModelPath => Path.Combine(runDirectory, "model.safetensors");
    private string OptimizerPath => Path.Combine(runDirectory, "optimizer.bin");

    /// <summary>Runs the remaining epochs and returns the trained model with its final state.</summary>
    public (TeacherNet Model, TeacherCheckpoint State) Run(
        LabeledImages train, LabeledImages test, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        Directory.CreateDirectory(runDirectory);
        if (options.TrainLimit > 0)
        {
            train = train.Take(options.TrainLimit);
        }
        if (options.TestLimit > 0)
        {
            test = test.Take(options.TestLimit);
        }

        random.manual_seed(options.Seed);
        var model = new TeacherNet(architecture);
        var optimizer = optim.AdamW(model.parameters(), options.MaxLearningRate, weight_decay: options.WeightDecay);
        int steps = (train.Count + options.BatchSize - 1) / options.BatchSize;
        var schedule = optim.lr_scheduler.OneCycleLR(optimizer, options.MaxLearningRate, total_steps: options.Epochs * steps);

        var state = new TeacherCheckpoint { Architecture = architecture, Options = options };
        if (File.Exists(StatePath))
        {
            state = BundleJson.Read<TeacherCheckpoint>(StatePath);
            if (state.Architecture.Widths.AsSpan().SequenceCompareTo(architecture.Widths) != 0
                || state.Architecture.BlocksPerStage != architecture.BlocksPerStage
                || state.Options with { Epochs = options.Epochs } != options with { Epochs = options.Epochs })
            {
                throw new InvalidOperationException($"{StatePath}: the run was started with other settings; use a new --out folder.");
            }
            model.load_safetensors(ModelPath, strict: true);
            optimizer.load_py(OptimizerPath);
            for (int i = 0; i < state.EpochsDone * steps; i++)
            {
                schedule.step();
            }
        }

        var order = Enumerable.Range(0, train.Count).ToArray();
        for (int epoch = state.EpochsDone + 1; epoch <= options.Epochs; epoch++)
        {
            cancellation.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            // Order and augmentation depend only on (seed, epoch): a resumed run sees the same data.
            var rng = new Random(HashCode.Combine(options.Seed, epoch));
            rng.Shuffle(order);
            model.train();
            double lossSum = 0;
            for (int step = 0; step < steps; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                int start = step * options.BatchSize, count = Math.Min(options.BatchSize, train.Count - start);
                var batch = order.AsSpan(start, count);
                using (var scope = NewDisposeScope())
                {
                    var x = ImageTensors.Augmented(train, batch, options.CropPadding, rng);
                    var labels = new byte[count];
                    for (int i = 0; i < count; i++)
                    {
                        labels[i] = train.Labels[batch[i]];
                    }
                    optimizer.zero_grad();
                    var output = nn.functional.cross_entropy(model.call(x), ImageTensors.Labels(labels), label_smoothing: options.LabelSmoothing);
                    output.backward();
                    optimizer.step();
                    lossSum += output.item<float>();
                }
                schedule.step();
                progress?.Report(new TrainingProgress(epoch, options.Epochs, step + 1, steps, lossSum / (step + 1),
                    (start + count) / clock.Elapsed.TotalSeconds));
            }

            var accuracy = TeacherEvaluation.Accuracy(TeacherEvaluation.Predict(model, test), test.Labels);
            var seconds = clock.Elapsed.TotalSeconds;
            state = state with
            {
                EpochsDone = epoch,
                Seconds = state.Seconds + seconds,
                History = [.. state.History, new EpochRecord(epoch, lossSum / steps, accuracy, seconds)],
            };
            model.save_safetensors(ModelPath);
            optimizer.save_py(OptimizerPath);
            BundleJson.Write(StatePath, state);
            progress?.Report(new TrainingProgress(epoch, options.Epochs, steps, steps, lossSum / steps,
                train.Count / seconds, accuracy));
        }
        model.eval();
        return (model, state);
    }
}
