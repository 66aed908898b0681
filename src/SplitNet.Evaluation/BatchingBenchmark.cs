using System.Diagnostics;
using SplitNet.Codec;
using TorchSharp;
using static TorchSharp.torch;

namespace SplitNet.Evaluation;

/// <summary>Settings of the variable-length batching benchmark; defaults are the README's run.</summary>
/// <param name="Frames">Sentences in the stream.</param>
/// <param name="BatchSize">Frames per full batch.</param>
/// <param name="MedianLength">Median sentence length in tokens (lognormal).</param>
/// <param name="Spread">σ of the log length.</param>
/// <param name="MinLength">Shortest sentence.</param>
/// <param name="MaxLength">Longest sentence (the latent's maximum along its variable axis).</param>
/// <param name="Runs">Timed passes of each policy, interleaved.</param>
/// <param name="Seed">Seeds the lengths, the features and the layers.</param>
public sealed record BatchingBenchmarkOptions(
    int Frames = 4096, int BatchSize = 16, double MedianLength = 12, double Spread = 0.7, int MinLength = 3, int MaxLength = 128, int Runs = 2, int Seed = 1);

/// <summary>One batching policy: batches of (frames, padded length) in the order they would run.</summary>
/// <param name="Name">What the policy does.</param>
/// <param name="Batches">Frame indices and the length each batch is padded to.</param>
/// <param name="Dispatched">For each frame, the arrival index at which its batch could run.</param>
public sealed record BatchingPolicy(string Name, IReadOnlyList<(int[] Frames, int Padded)> Batches, int[] Dispatched);

/// <summary>What one policy cost.</summary>
/// <param name="PaddingFraction">Computed positions that were padding.</param>
/// <param name="FramesPerSecond">One value per timed run.</param>
/// <param name="P99Wait">Frames that arrived while a frame waited for its batch (99th percentile).</param>
/// <param name="MaxDifference">Largest difference of any pooled output from the first policy's.</param>
public sealed record BatchingRow(string Policy, int Batches, double MeanBatch, double PaddingFraction, long Positions,
    IReadOnlyList<double> FramesPerSecond, int P99Wait, double MaxDifference);

/// <summary>The benchmark's lengths and rows.</summary>
public sealed record BatchingReport(BatchingBenchmarkOptions Options, double MeanLength, int P50, int P90, int P99, IReadOnlyList<BatchingRow> Rows);

/// <summary>
/// How to batch variable-length latents on the server, measured on a transformer-shaped server
/// part (two 384-wide, 12-head encoder layers with a padding mask, then masked mean pooling)
/// over a stream of sentence lengths like short glosses: pad every batch to the maximum, pad it
/// to its longest frame, bucket by power of two (<see cref="LatentShape.PaddedLength"/>, what the
/// server does) or bucket by exact length. Every policy computes the same pooled outputs.
/// </summary>
public sealed class BatchingBenchmark(BatchingBenchmarkOptions options)
{
    private const int Width = 384, Heads = 12, FeedForward = 1536;

    /// <summary>Sentence lengths, seeded: lognormal around the median, clamped to [MinLength, MaxLength].</summary>
    public int[] Lengths()
    {
        var random = new Random(options.Seed);
        return [.. Enumerable.Range(0, options.Frames).Select(_ =>
        {
            double u = 1 - random.NextDouble(), v = random.NextDouble();
            double z = Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
            return Math.Clamp((int)Math.Round(options.MedianLength * Math.Exp(options.Spread * z)), options.MinLength, options.MaxLength);
        })];
    }

    /// <summary>The four policies over <paramref name="lengths"/>, the shipped one third.</summary>
    public IReadOnlyList<BatchingPolicy> Policies(int[] lengths)
    {
        var latent = new LatentShape([1, options.MaxLength], variableAxis: 1);
        return
        [
            InOrder("pad every batch to the maximum", lengths, _ => options.MaxLength),
            InOrder("pad every batch to its longest frame", lengths, batch => batch.Max(i => lengths[i])),
            Bucketed("bucket by power of two (shipped)", lengths, latent.PaddedLength),
            Bucketed("bucket by exact length", lengths, length => length),
        ];
    }

    public BatchingReport Run(IProgress<string>? progress = null)
    {
        random.manual_seed(options.Seed);
        var lengths = Lengths();
        var offsets = new long[lengths.Length + 1];
        for (int i = 0; i < lengths.Length; i++)
        {
            offsets[i + 1] = offsets[i] + lengths[i];
        }
        var policies = Policies(lengths);
        using var features = randn(offsets[^1], Width);
        var layers = new[] { Layer(), Layer() };
        var seconds = policies.Select(_ => new List<double>()).ToArray();
        var outputs = new Tensor?[policies.Count];
        try
        {
            using var mode = inference_mode();
            foreach (var policy in policies)
            {
                using var warm = zeros(lengths.Length, Width);
                foreach (var (frames, padded) in policy.Batches.Take(4))
                {
                    RunBatch(layers, features, offsets, lengths, frames, padded, warm);
                }
            }
            for (int run = 0; run < options.Runs; run++)
            {
                for (int p = 0; p < policies.Count; p++)
                {
                    var pooled = zeros(lengths.Length, Width);
                    long start = Stopwatch.GetTimestamp();
                    foreach (var (frames, padded) in policies[p].Batches)
                    {
                        RunBatch(layers, features, offsets, lengths, frames, padded, pooled);
                    }
                    seconds[p].Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
                    outputs[p]?.Dispose();
                    outputs[p] = pooled;
                    progress?.Report($"run {run + 1}/{options.Runs}  {policies[p].Name}: {lengths.Length / seconds[p][^1]:F0} frames/s");
                }
            }
            var rows = policies.Select((policy, p) => Row(policy, lengths, seconds[p], (outputs[p]! - outputs[0]!).abs().max().item<float>())).ToList();
            var sorted = lengths.Order().ToArray();
            return new BatchingReport(options, lengths.Average(), Percentile(sorted, 0.5), Percentile(sorted, 0.9), Percentile(sorted, 0.99), rows);
        }
        finally
        {
            foreach (var output in outputs)
            {
                output?.Dispose();
            }
            foreach (var layer in layers)
            {
                layer.Dispose();
            }
        }
    }

    private static TorchSharp.Modules.TransformerEncoderLayer Layer()
    {
        var layer = nn.TransformerEncoderLayer(Width, Heads, FeedForward, dropout: 0);
        layer.eval();
        return layer;
    }

    // One batch as the server part sees it: (L, B, E) with zeros past each frame, a padding mask,
    // two encoder layers, then the mean over each frame's own tokens.
    private static void RunBatch(TorchSharp.Modules.TransformerEncoderLayer[] layers, Tensor features, long[] offsets, int[] lengths,
        int[] frames, int padded, Tensor pooled)
    {
        using var scope = NewDisposeScope();
        var x = zeros(frames.Length, padded, Width);
        var padding = new bool[frames.Length * padded];
        for (int j = 0; j < frames.Length; j++)
        {
            int frame = frames[j];
            x[j, TensorIndex.Slice(0, lengths[frame])] = features.narrow(0, offsets[frame], lengths[frame]);
            padding.AsSpan(j * padded + lengths[frame], padded - lengths[frame]).Fill(true);
        }
        var mask = tensor(padding, [frames.Length, padded]);
        var h = x.transpose(0, 1);
        foreach (var layer in layers)
        {
            h = layer.call(h, null, mask);
        }
        var valid = mask.logical_not().to(float32).unsqueeze(-1);
        var mean = (h.transpose(0, 1) * valid).sum(1) / valid.sum(1);
        pooled.index_copy_(0, tensor(frames.Select(f => (long)f).ToArray()), mean);
    }

    private BatchingPolicy InOrder(string name, int[] lengths, Func<int[], int> padTo)
    {
        var batches = lengths.Select((_, i) => i).Chunk(options.BatchSize).Select(batch => (batch, padTo(batch))).ToList();
        var dispatched = new int[lengths.Length];
        foreach (var (batch, _) in batches)
        {
            foreach (int frame in batch)
            {
                dispatched[frame] = batch[^1];
            }
        }
        return new BatchingPolicy(name, batches, dispatched);
    }

    // A frame joins the pending batch of its bucket; a batch runs when it is full. What is left at
    // the end of the stream runs then (the server's queue delay flushes it sooner).
    private BatchingPolicy Bucketed(string name, int[] lengths, Func<int, int> bucket)
    {
        var pending = new SortedDictionary<int, List<int>>();
        var batches = new List<(int[], int)>();
        var dispatched = new int[lengths.Length];
        for (int i = 0; i < lengths.Length; i++)
        {
            int key = bucket(lengths[i]);
            if (!pending.TryGetValue(key, out var frames))
            {
                pending[key] = frames = [];
            }
            frames.Add(i);
            if (frames.Count == options.BatchSize)
            {
                frames.ForEach(f => dispatched[f] = i);
                batches.Add(([.. frames], key));
                frames.Clear();
            }
        }
        foreach (var (key, frames) in pending.Where(p => p.Value.Count > 0))
        {
            frames.ForEach(f => dispatched[f] = lengths.Length);
            batches.Add(([.. frames], key));
        }
        return new BatchingPolicy(name, batches, dispatched);
    }

    private static BatchingRow Row(BatchingPolicy policy, int[] lengths, List<double> seconds, double difference)
    {
        long positions = policy.Batches.Sum(b => (long)b.Frames.Length * b.Padded);
        var waits = policy.Dispatched.Select((at, frame) => at - frame).Order().ToArray();
        return new BatchingRow(policy.Name, policy.Batches.Count, (double)lengths.Length / policy.Batches.Count,
            1 - (double)lengths.Sum() / positions, positions, [.. seconds.Select(s => lengths.Length / s)], Percentile(waits, 0.99), difference);
    }

    private static int Percentile(int[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
