using System.Diagnostics;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SplitNet.Training;

/// <summary>
/// The epoch loop of every trainer. It seeds torch's generator when created (build the model
/// after it, so its initial weights follow the seed); draws each epoch's order and augmentation
/// from a generator seeded by (seed, stage, epoch) alone; runs each step in its own dispose
/// scope; steps the learning-rate schedule; reports progress; and checkpoints the run folder
/// (weights, optimiser, torch's generator, <c>state.json</c>) after every epoch, so a loop
/// created again on that folder continues as if it had never stopped.
/// </summary>
public sealed class TrainingLoop
{
    private readonly int _seed;
    private readonly int _batchSize;

    /// <param name="runDirectory">The run folder; created if missing, resumed from if it holds a checkpoint.</param>
    /// <param name="modelFile">File name of the weights in the run folder.</param>
    /// <param name="seed">Seed of torch's generator and of every epoch's data order and augmentation.</param>
    /// <param name="batchSize">Images per step.</param>
    public TrainingLoop(string runDirectory, string modelFile, int seed, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        Directory.CreateDirectory(runDirectory);
        ModelPath = Path.Combine(runDirectory, modelFile);
        StatePath = Path.Combine(runDirectory, "state.json");
        OptimizerPath = Path.Combine(runDirectory, "optimizer.bin");
        GeneratorPath = Path.Combine(runDirectory, "generator.bin");
        _seed = seed;
        _batchSize = batchSize;
        random.manual_seed(seed);
    }

    /// <summary>The checkpointed weights.</summary>
    public string ModelPath { get; }

    /// <summary>The run's <c>state.json</c>.</summary>
    public string StatePath { get; }

    private string OptimizerPath { get; }

    private string GeneratorPath { get; }

    /// <summary>
    /// The saved state of the run, or null when the folder holds none. Throws when
    /// <paramref name="sameSettings"/> rejects it: a run resumes only with the settings it started with.
    /// </summary>
    public TState? ReadState<TState>(Func<TState, bool> sameSettings)
        where TState : class, ITrainingState
    {
        if (!File.Exists(StatePath))
        {
            return null;
        }
        var state = BundleJson.Read<TState>(StatePath);
        return sameSettings(state)
            ? state
            : throw new InvalidOperationException($"{StatePath}: the run was started with other settings; use a new --out folder.");
    }

    /// <summary>Loads the checkpointed weights into <paramref name="model"/> and torch's generator as it was then.</summary>
    public void Restore(nn.Module model)
    {
        model.load_safetensors(ModelPath, strict: true);
        // Run folders from before the generator was checkpointed resume without it.
        if (File.Exists(GeneratorPath))
        {
            using var generator = tensor(File.ReadAllBytes(GeneratorPath));
            random.set_rng_state(generator);
        }
    }

    /// <summary>
    /// Runs the epochs of <paramref name="stage"/> that <paramref name="state"/> has not done,
    /// checkpointing after each, and returns the state after the last.
    /// </summary>
    public TState Run<TState>(TState state, nn.Module model, TrainingStage<TState> stage, LabeledImages train,
        IProgress<TrainingProgress>? progress, CancellationToken cancellation)
        where TState : ITrainingState
    {
        int steps = (train.Count + _batchSize - 1) / _batchSize;
        var schedule = stage.Schedule?.Invoke(stage.Epochs * steps);
        // Replayed on the fresh optimiser, then its saved state is loaded over it: the schedule's
        // own counters and base rates are then those of an uninterrupted run.
        for (int i = 0; i < state.EpochsDone * steps; i++)
        {
            schedule?.step();
        }
        if (state.EpochsDone > 0)
        {
            stage.Optimizer.load_py(OptimizerPath);
        }
        // Each epoch shuffles the order the epoch before left, so a resumed run first replays the
        // shuffles of the epochs it skips.
        var order = Enumerable.Range(0, train.Count).ToArray();
        for (int epoch = 1; epoch <= state.EpochsDone; epoch++)
        {
            EpochRandom(stage.Stage, epoch).Shuffle(order);
        }
        var labels = new byte[_batchSize];
        for (int epoch = state.EpochsDone + 1; epoch <= stage.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            var rng = EpochRandom(stage.Stage, epoch);
            rng.Shuffle(order);
            model.train();
            double lossSum = 0;
            for (int step = 0; step < steps; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                int start = step * _batchSize, count = Math.Min(_batchSize, train.Count - start);
                var indices = order.AsMemory(start, count);
                for (int i = 0; i < count; i++)
                {
                    labels[i] = train.Labels[indices.Span[i]];
                }
                using (var scope = NewDisposeScope())
                {
                    var batch = new TrainingBatch(TrainingTensors.Augmented(train, indices.Span, stage.CropPadding, rng),
                        TrainingTensors.Labels(labels.AsSpan(0, count)), indices);
                    stage.Optimizer.zero_grad();
                    var loss = stage.Loss(batch);
                    loss.backward();
                    stage.Optimizer.step();
                    schedule?.step();
                    lossSum += loss.item<float>();
                }
                progress?.Report(new TrainingProgress(epoch, stage.Epochs, step + 1, steps, lossSum / (step + 1),
                    (start + count) / clock.Elapsed.TotalSeconds, Stage: stage.Stage, Detail: stage.Detail?.Invoke() ?? ""));
            }
            double? accuracy = stage.Evaluate?.Invoke();
            var seconds = clock.Elapsed.TotalSeconds;
            state = stage.Advance(state, new EpochResult(stage.Stage, epoch, lossSum / steps, seconds, accuracy));
            Save(state, model, stage.Optimizer);
            if (accuracy is { } tested)
            {
                progress?.Report(new TrainingProgress(epoch, stage.Epochs, steps, steps, lossSum / steps, train.Count / seconds, tested, stage.Stage));
            }
        }
        return state;
    }

    // The epoch's order and augmentation come from here alone: the same (seed, stage, epoch), the same data.
    private Random EpochRandom(int stage, int epoch) => new(EpochSeed.Of(_seed, stage, epoch));

    /// <summary>
    /// Checkpoints the run: the weights, the optimiser's state when given (null between stages,
    /// whose optimisers differ), torch's generator, then <c>state.json</c>, written last so it
    /// never describes weights that are not on disk.
    /// </summary>
    public void Save<TState>(TState state, nn.Module model, OptimizerHelper? optimizer)
    {
        model.save_safetensors(ModelPath);
        optimizer?.save_py(OptimizerPath);
        using (var generator = random.get_rng_state())
        {
            File.WriteAllBytes(GeneratorPath, generator.data<byte>().ToArray());
        }
        BundleJson.Write(StatePath, state);
    }
}
