using System.Diagnostics;
using SplitNet.Models.Bundles;
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
    private readonly string _modelPath;
    private readonly string _statePath;
    private readonly string _optimizerPath;
    private readonly string _generatorPath;

    /// <param name="runDirectory">The run folder; created if missing, resumed from if it holds a checkpoint.</param>
    /// <param name="modelFile">File name of the weights in the run folder.</param>
    /// <param name="seed">Seed of torch's generator and of every epoch's data order and augmentation.</param>
    /// <param name="batchSize">Examples per step.</param>
    public TrainingLoop(string runDirectory, string modelFile, int seed, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        Directory.CreateDirectory(runDirectory);
        _modelPath = Path.Combine(runDirectory, modelFile);
        _statePath = Path.Combine(runDirectory, "state.json");
        _optimizerPath = Path.Combine(runDirectory, "optimizer.bin");
        _generatorPath = Path.Combine(runDirectory, "generator.bin");
        _seed = seed;
        _batchSize = batchSize;
        random.manual_seed(seed);
    }

    /// <summary>
    /// The state of the run: the saved one when the folder holds a checkpoint, with its weights
    /// loaded into <paramref name="model"/> and torch's generator as it was then; else
    /// <paramref name="start"/>'s. Throws when <paramref name="sameSettings"/> rejects the saved
    /// state: a run resumes only with the settings it started with.
    /// </summary>
    /// <param name="prepare">Runs before the weights load, to size buffers the checkpoint holds (given the weights' path).</param>
    public TState Resume<TState>(nn.Module model, Func<TState, bool> sameSettings, Func<TState> start, Action<string>? prepare = null)
        where TState : class, ITrainingState
    {
        if (!File.Exists(_statePath))
        {
            return start();
        }
        var state = BundleJson.Read<TState>(_statePath);
        if (!sameSettings(state))
        {
            throw new InvalidOperationException($"{_statePath}: the run was started with other settings; use a new --out folder.");
        }
        prepare?.Invoke(_modelPath);
        model.load_safetensors(_modelPath, strict: true);
        // Run folders from before the generator was checkpointed resume without it.
        if (File.Exists(_generatorPath))
        {
            using var generator = tensor(File.ReadAllBytes(_generatorPath));
            random.set_rng_state(generator);
        }
        return state;
    }

    /// <summary>
    /// Runs the epochs of <paramref name="stage"/> that <paramref name="state"/> has not done,
    /// checkpointing after each, and returns the state after the last.
    /// </summary>
    public TState Run<TState, TBatch>(TState state, nn.Module model, TrainingStage<TState, TBatch> stage, ITrainingData<TBatch> train,
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
            stage.Optimizer.load_py(_optimizerPath);
        }
        // Each epoch shuffles the order the epoch before left, so a resumed run first replays the
        // shuffles of the epochs it skips.
        var order = Enumerable.Range(0, train.Count).ToArray();
        for (int epoch = 1; epoch <= state.EpochsDone; epoch++)
        {
            EpochRandom(stage.Stage, epoch).Shuffle(order);
        }
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
                using (var scope = NewDisposeScope())
                {
                    var batch = train.Batch(order.AsMemory(start, count), rng);
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
        model.save_safetensors(_modelPath);
        optimizer?.save_py(_optimizerPath);
        using (var generator = random.get_rng_state())
        {
            File.WriteAllBytes(_generatorPath, generator.data<byte>().ToArray());
        }
        BundleJson.Write(_statePath, state);
    }
}
