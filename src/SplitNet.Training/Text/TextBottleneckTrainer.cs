using SplitNet.Models.Entropy;
using SplitNet.Models.Text;
using static TorchSharp.torch;

namespace SplitNet.Training.Text;

/// <summary>
/// Trains a per-token bottleneck at a cut of a frozen BERT encoder by distillation from the
/// unsplit model: the hidden state after the cut is reconstructed (MSE per token), the split's
/// sentence embedding is pulled to the unsplit one (1 − cosine), and the rate is charged
/// (β · bits per token). The layers on both sides stay frozen; gradients reach g_a and g_s
/// through the tail.
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
        var bottleneck = new TokenBottleneck(bert.Config.Hidden, options.Bottleneck);
        var optimizer = optim.Adam(bottleneck.parameters(), options.LearningRate);
        // More epochs may be asked of a run than it was started with; nothing else may change.
        var state = loop.Resume(bottleneck, s => s.Options with { Epochs = options.Epochs } == options, () =>
        {
            var (cut, mean) = Measure(train);
            bottleneck.Center(mean);
            return new TextBottleneckCheckpoint { Options = options, Cut = cut };
        });
        state = loop.Run(state, bottleneck, new TrainingStage<TextBottleneckCheckpoint, TextBatch>
        {
            Epochs = options.Epochs,
            Optimizer = optimizer,
            Schedule = total => optim.lr_scheduler.CosineAnnealingLR(optimizer, total, options.LearningRate / 20),
            Loss = batch => Loss(bottleneck, batch),
            Detail = _terms.ToString,
            Advance = (s, epoch) =>
            {
                var (mse, bits, cosine) = _terms.TakeMean();
                return s with
                {
                    EpochsDone = epoch.Epoch,
                    Seconds = s.Seconds + epoch.Seconds,
                    History = [.. s.History, new TextEpochRecord(epoch.Epoch, epoch.Loss, epoch.Seconds, mse, bits, cosine)],
                };
            },
        }, new TextTrainingData(train), progress, cancellation);
        bottleneck.Bottleneck.Update(force: true);
        bottleneck.eval();
        return (bottleneck, state);
    }

    private Tensor Loss(TokenBottleneck bottleneck, TextBatch batch)
    {
        bottleneck.train();
        int cut = options.Bottleneck.Cut, layers = bert.Config.Layers;
        Tensor h, target;
        using (no_grad())
        {
            h = bert.Run(bert.Embed(batch.Ids), batch.Mask, 0, cut);
            target = BertModel.MeanPool(bert.Run(h, batch.Mask, cut, layers), batch.Mask);
        }
        var (yHat, likelihoods) = bottleneck.Bottleneck.Forward(bottleneck.Analysis(h), QuantizationMode.Noise);
        var hHat = bottleneck.Synthesis(yHat);
        var embedding = BertModel.MeanPool(bert.Run(hHat, batch.Mask, cut, layers), batch.Mask);
        var tokens = batch.Mask.sum();
        var mask = batch.Mask.unsqueeze(-1);
        var squaredError = ((hHat - h).square() * mask).sum() / (tokens * bert.Config.Hidden);
        // Padding positions are never sent: only real tokens' symbols cost bits.
        var bits = -(likelihoods.log2() * batch.Mask.unsqueeze(1).unsqueeze(-1)).sum() / tokens;
        var cosine = (embedding * target).sum(1).mean();
        _terms.Add(squaredError.item<float>(), bits.item<float>(), cosine.item<float>());
        return squaredError + options.CosineWeight * (1 - cosine) + options.Beta * bits + bottleneck.Bottleneck.AuxLoss();
    }

    /// <summary>Per-dimension mean and spread of the hidden states at the cut over (up to) 2,000 sentences drawn at random (seeded).</summary>
    private (CutStatistics Statistics, Tensor Mean) Measure(IReadOnlyList<long[]> train)
    {
        using var _ = no_grad();
        var sum = zeros(bert.Config.Hidden, dtype: ScalarType.Float64);
        var squares = zeros(bert.Config.Hidden, dtype: ScalarType.Float64);
        var absolute = zeros(bert.Config.Hidden, dtype: ScalarType.Float64);
        double tokens = 0;
        var sample = Enumerable.Range(0, train.Count).ToArray();
        new Random(options.Seed).Shuffle(sample);
        sample = sample[..Math.Min(train.Count, 2000)];
        for (int start = 0; start < sample.Length; start += options.BatchSize)
        {
            using var scope = NewDisposeScope();
            var indices = sample[start..Math.Min(sample.Length, start + options.BatchSize)];
            var batch = TextTrainingData.Pad(indices, train);
            var h = bert.Run(bert.Embed(batch.Ids), batch.Mask, 0, options.Bottleneck.Cut).to(ScalarType.Float64);
            var m = batch.Mask.to(ScalarType.Float64).unsqueeze(-1);
            sum.add_((h * m).sum([0, 1]));
            squares.add_((h.square() * m).sum([0, 1]));
            absolute.add_((h.abs() * m).sum([0, 1]));
            tokens += batch.Mask.sum().item<float>();
        }
        var mean = sum / tokens;
        var spread = (squares / tokens - mean.square()).clamp_min(0).sqrt();
        var meanAbs = (absolute / tokens).data<double>().ToArray();
        var order = Enumerable.Range(0, meanAbs.Length).OrderByDescending(d => meanAbs[d]).Take(4).ToArray();
        var spreads = spread.data<double>().ToArray();
        var statistics = new CutStatistics(order, [.. order.Select(d => meanAbs[d])], meanAbs.Order().ElementAt(meanAbs.Length / 2),
            [.. order.Select(d => spreads[d] / meanAbs[d])], (int)tokens);
        return (statistics, mean.to(ScalarType.Float32));
    }

    /// <summary>Running means of the unweighted terms over an epoch, for progress and the history.</summary>
    private sealed class Terms
    {
        private double _squaredError, _bits, _cosine;
        private int _steps;

        public void Add(double squaredError, double bits, double cosine) =>
            (_squaredError, _bits, _cosine, _steps) = (_squaredError + squaredError, _bits + bits, _cosine + cosine, _steps + 1);

        public (double SquaredError, double Bits, double Cosine) TakeMean()
        {
            int n = Math.Max(1, _steps);
            var mean = (_squaredError / n, _bits / n, _cosine / n);
            (_squaredError, _bits, _cosine, _steps) = (0, 0, 0, 0);
            return mean;
        }

        public override string ToString()
        {
            int n = Math.Max(1, _steps);
            return FormattableString.Invariant($"mse {_squaredError / n:F4}, {_bits / n:F2} bits/token, cos {_cosine / n:F4}");
        }
    }
}
