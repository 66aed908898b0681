using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SplitNet.Training;

/// <summary>
/// What a trainer gives <see cref="TrainingLoop"/> for one stage of its recipe: the loss, the
/// optimiser over its trainable modules, the schedule, the evaluation, and how an epoch is
/// recorded in the run's state.
/// </summary>
public sealed class TrainingStage<TState, TBatch>
    where TState : ITrainingState
{
    /// <summary>Stage of the recipe, shown in progress and mixed into the epoch seed. Default 0 (one stage).</summary>
    public int Stage { get; init; }

    /// <summary>Epochs of this stage.</summary>
    public required int Epochs { get; init; }

    /// <summary>Steps over the trainable parameters; its state is checkpointed after every epoch.</summary>
    public required OptimizerHelper Optimizer { get; init; }

    /// <summary>
    /// Builds the learning-rate schedule over the stage's total number of steps, stepped after
    /// every optimiser step. Null (the default): a constant rate.
    /// </summary>
    public Func<int, optim.lr_scheduler.LRScheduler>? Schedule { get; init; }

    /// <summary>The loss of one batch; the loop runs it inside the step's dispose scope.</summary>
    public required Func<TBatch, Tensor> Loss { get; init; }

    /// <summary>Test accuracy after an epoch. Null (the default): the stage is not evaluated.</summary>
    public Func<double>? Evaluate { get; init; }

    /// <summary>Extra running figures for the progress line. Null (the default): none.</summary>
    public Func<string>? Detail { get; init; }

    /// <summary>The state after an epoch: the loop writes it as <c>state.json</c> with the checkpoint.</summary>
    public required Func<TState, EpochResult, TState> Advance { get; init; }
}
