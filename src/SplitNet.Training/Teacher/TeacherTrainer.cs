using SplitNet.Models.Data;
using SplitNet.Models.Teacher;
using static TorchSharp.torch;

namespace SplitNet.Training.Teacher;

/// <summary>
/// Trains the teacher with AdamW, a one-cycle schedule and a label-smoothed cross-entropy,
/// checkpointing after every epoch into a run folder so an interrupted run resumes where it
/// stopped with the same result.
/// </summary>
public sealed class TeacherTrainer(string runDirectory, TeacherTrainingOptions options, TeacherConfig architecture)
{
    /// <summary>Runs the remaining epochs and returns the trained model with its final state.</summary>
    public (TeacherNet Model, TeacherCheckpoint State) Run(
        LabeledImages train, LabeledImages test, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        if (options.TrainLimit > 0)
        {
            train = train.Take(options.TrainLimit);
        }
        if (options.TestLimit > 0)
        {
            test = test.Take(options.TestLimit);
        }

        var loop = new TrainingLoop(runDirectory, "model.safetensors", options.Seed, options.BatchSize);
        var model = new TeacherNet(architecture);
        var optimizer = optim.AdamW(model.parameters(), options.MaxLearningRate, weight_decay: options.WeightDecay);
        var state = loop.Resume(model, SameSettings, () => new TeacherCheckpoint { Architecture = architecture, Options = options });
        state = loop.Run(state, model, new TrainingStage<TeacherCheckpoint, TrainingBatch>
        {
            Epochs = options.Epochs,
            Optimizer = optimizer,
            Schedule = total => optim.lr_scheduler.OneCycleLR(optimizer, options.MaxLearningRate, total_steps: total),
            Loss = batch => nn.functional.cross_entropy(model.call(batch.Images), batch.Labels, label_smoothing: options.LabelSmoothing),
            Evaluate = () => TeacherEvaluation.Accuracy(TeacherEvaluation.Predict(model, test), test.Labels),
            Advance = SingleStageCheckpoint.After,
        }, new ImageTrainingData(train, options.CropPadding), progress, cancellation);
        model.eval();
        return (model, state);
    }

    // More epochs may be asked of a run than it was started with; nothing else may change.
    private bool SameSettings(TeacherCheckpoint state) =>
        state.Architecture.Widths.AsSpan().SequenceEqual(architecture.Widths)
        && state.Architecture.BlocksPerStage == architecture.BlocksPerStage
        && state.Options with { Epochs = options.Epochs } == options with { Epochs = options.Epochs };
}
