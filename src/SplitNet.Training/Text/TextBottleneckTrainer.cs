using SplitNet.Models.Entropy;
using SplitNet.Models.Text;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SplitNet.Training.Text;

/// <summary>
/// Trains a per-token bottleneck at a cut of a frozen BERT encoder by distillation from the
/// unsplit model, on a <see cref="CutCache"/> of the frozen model's work. Stage 1 reconstructs
/// the hidden state after the cut (squared error per token) at a rate (β · bits per token), which
/// needs no tail and so runs many times faster. Stage 2 adds 1 − cosine between the split's
/// sentence embedding and the unsplit one, with gradients reaching g_a and g_s through the frozen
/// tail.
/// </summary>
public sealed class TextBottleneckTrainer(BertModel bert, TextBottleneckOptions options)
{
    private readonly Terms _terms = new();

    public (TokenBottleneck Bottleneck, TextBottleneckCheckpoint State) Train(IReadOnlyList<long[]> train, string runDirectory,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        // WordNet's files run category by category: a subset is drawn at random (seeded), never taken from the front.
        if (options.TrainLimit > 0 && options.TrainLimit < train.Count)
        {
            var chosen = Enumerable.Range(0, train.Count).ToArray();
            new Random(options.Seed).Shuffle(chosen);
            train = [.. chosen[..options.TrainLimit].Order().Select(i => train[i])];
        }
        var loop = new TrainingLoop(runDirectory, "bottleneck.safetensors", options.Seed, options.BatchSize);
        bert.eval();
        foreach (var parameter in bert.parameters())
        {
            parameter.requires_grad = false;
        }
        int steps = (train.Count + options.BatchSize - 1) / options.BatchSize;
        using var cache = CutCache.Build(bert, train, options.Bottleneck.Cut, options.BatchSize,
            done => progress?.Report(new TrainingProgress(0, 0, (done + options.BatchSize - 1) / options.BatchSize, steps, 0, 0, Detail: "caching the frozen model's work")));
        var bottleneck = new TokenBottleneck(bert.Config.Hidden, options.Bottleneck);
        // More epochs of stage 2 may be asked of a run than it was started with; nothing else may change.
        var state = loop.Resume(bottleneck, s => s.Options with { Epochs = options.Epochs } == options, () =>
        {
            var (cut, mean) = cache.Statistics();
            using (mean)
            {
                bottleneck.Center(mean);
            }
            return new TextBottleneckCheckpoint { Options = options, Cut = cut };
        });
        if (state.Stage == 1)
        {
            var optimizer = Adam(bottleneck, options.LearningRate);
            state = loop.Run(state, bottleneck, Stage(1, options.CutEpochs, optimizer, options.LearningRate, batch => Loss(bottleneck, batch, withTail: false)),
                cache, progress, cancellation);
            state = state with { Stage = 2, EpochsDone = 0 };
            loop.Save(state, bottleneck, optimizer: null);
        }
        var tuning = Adam(bottleneck, options.TailLearningRate);
        state = loop.Run(state, bottleneck, Stage(2, options.Epochs, tuning, options.TailLearningRate, batch => Loss(bottleneck, batch, withTail: true)),
            cache, progress, cancellation);
        bottleneck.Bottleneck.Update(force: true);
        bottleneck.eval();
        return (bottleneck, state);
    }

    private Adam Adam(TokenBottleneck bottleneck, double rate)
    {
        var prior = bottleneck.Bottleneck.parameters().ToHashSet();
        return optim.Adam(
        [
            new Adam.ParamGroup(bottleneck.parameters().Where(p => !prior.Contains(p)), lr: rate),
            new Adam.ParamGroup(prior, lr: rate * options.DensityRateScale),
        ], rate);
    }

    private TrainingStage<TextBottleneckCheckpoint, CutBatch> Stage(int stage, int epochs, OptimizerHelper optimizer, double rate, Func<CutBatch, Tensor> loss) => new()
    {
        Stage = stage,
        Epochs = epochs,
        Optimizer = optimizer,
        Schedule = total => optim.lr_scheduler.CosineAnnealingLR(optimizer, total, rate / 20),
        Loss = loss,
        Detail = _terms.ToString,
        Advance = (s, epoch) =>
        {
            var (mse, bits, cosine) = _terms.TakeMean();
            return s with
            {
                EpochsDone = epoch.Epoch,
                Seconds = s.Seconds + epoch.Seconds,
                History = [.. s.History, new TextEpochRecord(stage, epoch.Epoch, epoch.Loss, epoch.Seconds, mse, bits, cosine)],
            };
        },
    };

    private Tensor Loss(TokenBottleneck bottleneck, CutBatch batch, bool withTail)
    {
        bottleneck.train();
        var (h, mask) = (batch.Hidden, batch.Mask);
        var (yHat, likelihoods) = bottleneck.Bottleneck.Forward(bottleneck.Analysis(h), QuantizationMode.Noise);
        var hHat = bottleneck.Synthesis(yHat);
        var tokens = mask.sum();
        var squaredError = ((hHat - h).square() * mask.unsqueeze(-1)).sum() / (tokens * bert.Config.Hidden);
        // Padding positions are never sent: only real tokens' symbols cost bits.
        var bits = -(likelihoods.log2() * mask.unsqueeze(1).unsqueeze(-1)).sum() / tokens;
        var loss = squaredError + options.Beta * bits + bottleneck.Bottleneck.AuxLoss();
        double? cosine = null;
        if (withTail)
        {
            var embedding = BertModel.MeanPool(bert.Run(hHat, mask, options.Bottleneck.Cut, bert.Config.Layers), mask);
            var meanCosine = (embedding * batch.Target).sum(1).mean();
            cosine = meanCosine.item<float>();
            loss += options.CosineWeight * (1 - meanCosine);
        }
        _terms.Add(squaredError.item<float>(), bits.item<float>(), cosine);
        return loss;
    }

    /// <summary>Running means of the unweighted terms over an epoch, for progress and the history.</summary>
    private sealed class Terms
    {
        private double _squaredError, _bits, _cosine;
        private int _steps, _cosines;

        public void Add(double squaredError, double bits, double? cosine) =>
            (_squaredError, _bits, _cosine, _steps, _cosines) =
                (_squaredError + squaredError, _bits + bits, _cosine + (cosine ?? 0), _steps + 1, _cosines + (cosine is null ? 0 : 1));

        public (double SquaredError, double Bits, double? Cosine) TakeMean()
        {
            int n = Math.Max(1, _steps);
            var mean = (_squaredError / n, _bits / n, _cosines > 0 ? _cosine / _cosines : (double?)null);
            (_squaredError, _bits, _cosine, _steps, _cosines) = (0, 0, 0, 0, 0);
            return mean;
        }

        public override string ToString()
        {
            int n = Math.Max(1, _steps);
            var cosine = _cosines > 0 ? FormattableString.Invariant($", cos {_cosine / _cosines:F4}") : "";
            return FormattableString.Invariant($"mse {_squaredError / n:F4}, {_bits / n:F2} bits/token{cosine}");
        }
    }
}
