using SplitNet.Models.Text;
using static TorchSharp.torch;

namespace SplitNet.Training.Text;

/// <summary>One step's sentences from a <see cref="CutCache"/>: the frozen model's hidden states at the cut and its sentence embeddings.</summary>
/// <param name="Hidden">Hidden states at the cut (B, S, hidden), zero at padding.</param>
/// <param name="Mask">1 for tokens, 0 for padding (B, S), float32.</param>
/// <param name="Target">The unsplit model's normalised sentence embeddings (B, hidden).</param>
public sealed record CutBatch(Tensor Hidden, Tensor Mask, Tensor Target);

/// <summary>
/// The frozen encoder's work on the training sentences, done once: every token's hidden state
/// at the cut (float16, one row per token) and every sentence's unsplit embedding. Both sides of
/// the cut are frozen, so these never change during training; a step then runs only the
/// bottleneck and, when the embedding is in the loss, the tail.
/// </summary>
public sealed class CutCache : ITrainingData<CutBatch>, IDisposable
{
    private readonly Tensor _hidden;
    private readonly Tensor _targets;
    private readonly int[] _offsets;
    private readonly int[] _lengths;

    private CutCache(Tensor hidden, Tensor targets, int[] offsets, int[] lengths) =>
        (_hidden, _targets, _offsets, _lengths) = (hidden, targets, offsets, lengths);

    public int Count => _lengths.Length;

    /// <summary>Tokens over all sentences.</summary>
    public int Tokens => _offsets[^1];

    /// <summary>Runs <paramref name="bert"/> on every sentence, telling <paramref name="progress"/> the sentences done after each batch.</summary>
    public static CutCache Build(BertModel bert, IReadOnlyList<long[]> sentences, int cut, int batchSize, Action<int>? progress = null)
    {
        bert.eval();
        using var _ = no_grad();
        var offsets = new int[sentences.Count + 1];
        for (int i = 0; i < sentences.Count; i++)
        {
            offsets[i + 1] = offsets[i] + sentences[i].Length;
        }
        int width = bert.Config.Hidden;
        // One spare zero row at the end: padding gathers it.
        var hidden = zeros([offsets[^1] + 1, width], ScalarType.Float16);
        var targets = zeros([sentences.Count, width]);
        // Similar lengths share a batch, so little of the work is padding.
        var byLength = Enumerable.Range(0, sentences.Count).OrderBy(i => sentences[i].Length).ToArray();
        for (int start = 0; start < byLength.Length; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var indices = byLength[start..Math.Min(byLength.Length, start + batchSize)];
            var batch = PaddedTokens.Of(indices, sentences);
            var h = bert.Run(bert.Embed(batch.Ids), batch.Mask, 0, cut);
            var embedding = BertModel.MeanPool(bert.Run(h, batch.Mask, cut, bert.Config.Layers), batch.Mask);
            for (int b = 0; b < indices.Length; b++)
            {
                int i = indices[b];
                hidden.narrow(0, offsets[i], sentences[i].Length).copy_(h[b].narrow(0, 0, sentences[i].Length));
                targets[i].copy_(embedding[b]);
            }
            progress?.Invoke(start + indices.Length);
        }
        return new CutCache(hidden, targets, offsets, [.. sentences.Select(s => s.Length)]);
    }

    public CutBatch Batch(ReadOnlyMemory<int> indices, Random random)
    {
        var span = indices.Span;
        int length = 0;
        foreach (int i in span)
        {
            length = Math.Max(length, _lengths[i]);
        }
        var rows = new long[span.Length * length];
        var mask = new float[span.Length * length];
        Array.Fill(rows, _offsets[^1]);
        for (int b = 0; b < span.Length; b++)
        {
            int i = span[b];
            for (int t = 0; t < _lengths[i]; t++)
            {
                rows[b * length + t] = _offsets[i] + t;
            }
            Array.Fill(mask, 1f, b * length, _lengths[i]);
        }
        var hidden = _hidden.index_select(0, tensor(rows)).view(span.Length, length, -1).to(ScalarType.Float32);
        var sentences = tensor(span.ToArray().Select(i => (long)i).ToArray());
        return new CutBatch(hidden, tensor(mask, [span.Length, length]), _targets.index_select(0, sentences));
    }

    /// <summary>Per-dimension mean and spread of every cached token's hidden state, and the mean (the bottleneck's center).</summary>
    public (CutStatistics Statistics, Tensor Mean) Statistics()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        int width = (int)_hidden.shape[1];
        var sum = zeros(width, ScalarType.Float64);
        var squares = zeros(width, ScalarType.Float64);
        var absolute = zeros(width, ScalarType.Float64);
        for (int start = 0; start < Tokens; start += 65_536)
        {
            using var chunk = _hidden.narrow(0, start, Math.Min(65_536, Tokens - start)).to(ScalarType.Float64);
            sum.add_(chunk.sum([0]));
            squares.add_(chunk.square().sum([0]));
            absolute.add_(chunk.abs().sum([0]));
        }
        var mean = sum / Tokens;
        var spreads = (squares / Tokens - mean.square()).clamp_min(0).sqrt().data<double>().ToArray();
        var meanAbs = (absolute / Tokens).data<double>().ToArray();
        var order = Enumerable.Range(0, width).OrderByDescending(d => meanAbs[d]).Take(4).ToArray();
        var statistics = new CutStatistics(order, [.. order.Select(d => meanAbs[d])], meanAbs.Order().ElementAt(width / 2),
            [.. order.Select(d => spreads[d] / meanAbs[d])], Tokens);
        return (statistics, mean.to(ScalarType.Float32).MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        _hidden.Dispose();
        _targets.Dispose();
    }
}
