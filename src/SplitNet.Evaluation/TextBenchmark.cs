using System.IO.Compression;
using System.Text;
using K4os.Compression.LZ4;
using SplitNet.Codec;
using SplitNet.Models.Split;
using SplitNet.Models.Text;
using static TorchSharp.torch;

namespace SplitNet.Evaluation;

/// <summary>One way to get a sentence's embedding to the server: what crosses the wire, its size and what quality survives.</summary>
/// <param name="Edge">Who runs what: <c>server-only</c>, <c>edge-only</c> or <c>split after layer k</c>.</param>
/// <param name="Cosine">Mean cosine of the embedding the server ends with to the unsplit model's (1 for lossless methods).</param>
/// <param name="EdgeMacsPerToken">Multiply-accumulates the device spends per token.</param>
/// <param name="Accuracy">Category accuracy of a linear head trained once on unsplit embeddings of training glosses, applied unchanged.</param>
/// <param name="Top1">Gloss → lemma retrieval: share of glosses whose own lemma is the nearest of the candidates.</param>
/// <param name="Top5">… among the five nearest.</param>
/// <param name="IdealBytesPerSentence">For a learned level: Σ −log₂ p(ŷ) / 8 under its prior, what a perfect coder would send.</param>
/// <param name="TokenRecovery">Share of tokens an <see cref="InversionProbe"/> recovers from what crosses the wire (null where nothing per token is sent).</param>
public sealed record TextRow(string Method, string Edge, double BytesPerSentence, double BytesPerToken, double Cosine, double EdgeMacsPerToken,
    double Accuracy, double Top1, double Top5, double? IdealBytesPerSentence = null, double? TokenRecovery = null);

/// <summary>What the quality measures need: categories of the test glosses, a head's training set, and lemma candidates.</summary>
/// <param name="Labels">Category of each test gloss.</param>
/// <param name="ProbeTokens">Training glosses the linear head learns from (unsplit embeddings).</param>
/// <param name="ProbeLabels">Their categories.</param>
/// <param name="Lemmas">The first lemma of each of the first test synsets: the retrieval candidates, one per gloss.</param>
public sealed record TextQualitySet(int[] Labels, int Classes, IReadOnlyList<long[]> ProbeTokens, int[] ProbeLabels, IReadOnlyList<long[]> Lemmas);

/// <summary>Held-out sentences an inversion probe learns from, and the sentences it is scored on.</summary>
public sealed record PrivacySet(IReadOnlyList<long[]> Train, IReadOnlyList<long[]> Test);

/// <summary>The report of <c>splitnet bench text</c>.</summary>
/// <param name="ProbeSentences">Sentences the inversion probe trained on and was scored on (0 when it did not run).</param>
public sealed record TextReport(int Sentences, double TokensPerSentence, double Utf8BytesPerSentence, int Candidates, IReadOnlyList<TextRow> Rows,
    int ProbeTrainSentences = 0, int ProbeTestSentences = 0);

/// <summary>
/// What it costs to send sentences to a server that answers with all-MiniLM-L6-v2's embedding,
/// measured side by side on held-out WordNet glosses: the text itself (raw, Brotli, Deflate), its
/// token ids (varint; ideal code under a unigram table from the training glosses), the embedding
/// computed on the device (float16, 8-bit), and naive splits at every layer boundary (float16 and
/// 8-bit per-token affine + LZ4 hidden states).
/// </summary>
public static class TextBenchmark
{
    // Linear layers per token per layer (all-MiniLM-L6-v2); attention adds 768 · S per token.
    private const double LayerMacsPerToken = 1_769_472;

    /// <param name="models">Text split models (edge and server sides) whose every level becomes a row: real coded bytes, the server part's embedding.</param>
    /// <param name="privacy">Sentences for the inversion probe; null: no token recovery figures.</param>
    public static TextReport Run(BertModel bert, IReadOnlyList<string> sentences, IReadOnlyList<long[]> tokens, IReadOnlyList<long[]> trainTokens,
        TextQualitySet quality, IReadOnlyList<(SplitModel Edge, SplitModel Server)> models, PrivacySet? privacy = null, IProgress<string>? progress = null)
    {
        int n = sentences.Count;
        double tokenCount = tokens.Sum(t => t.Length);
        double perToken(double bytes) => bytes / (tokenCount / n);
        progress?.Report($"running the model on {n} glosses, {quality.ProbeTokens.Count} training glosses for the head and {quality.Lemmas.Count} lemmas …");
        var embeddings = bert.SentenceEmbeddings(tokens);
        var scorer = new TextQuality(bert.SentenceEmbeddings(quality.ProbeTokens), quality.ProbeLabels, quality.Classes,
            bert.SentenceEmbeddings(quality.Lemmas), quality.Labels, embeddings);
        var rows = new List<TextRow>();
        void Add(string method, string edge, double bytes, float[][] received, double macs, double? ideal = null, double? recovery = null)
        {
            var (cosine, accuracy, top1, top5) = scorer.Score(received);
            rows.Add(new TextRow(method, edge, bytes, perToken(bytes), cosine, macs, accuracy, top1, top5, ideal, recovery));
        }
        // The server reads sent text or ids outright.
        double? all = privacy is null ? null : 1.0;

        var utf8 = sentences.Select(s => Encoding.UTF8.GetBytes(s)).ToArray();
        Add("UTF-8 text", "server-only", utf8.Average(b => b.Length), embeddings, 0, recovery: all);
        Add("UTF-8 text, Brotli", "server-only", utf8.Average(b => Brotli(b)), embeddings, 0, recovery: all);
        Add("UTF-8 text, Deflate", "server-only", utf8.Average(b => Deflate(b)), embeddings, 0, recovery: all);
        // [CLS] and [SEP] are implied: the server adds them back.
        Add("token ids, varint", "server-only", tokens.Average(t => t[1..^1].Sum(id => Varint(id)) + Varint(t.Length - 2)), embeddings, 0, recovery: all);
        var unigram = Unigram(trainTokens, bert.Config.VocabSize);
        // The ideal code length of the ids under the training glosses' unigram table, plus a byte for the count.
        Add("token ids, unigram entropy code (ideal)", "server-only", tokens.Average(t => (t[1..^1].Sum(id => -Math.Log2(unigram[id])) + 8) / 8), embeddings, 0, recovery: all);

        double wholeModel = bert.Config.Layers * LayerMacsPerToken;
        Add("embedding, float16", "edge-only", 2 * bert.Config.Hidden, [.. embeddings.Select(Half)], wholeModel);
        Add("embedding, 8-bit affine", "edge-only", bert.Config.Hidden + 8, [.. embeddings.Select(Affine8)], wholeModel);
        var naive = NaiveSplits(bert, tokens, progress);
        var probed = privacy is null ? null : ProbeNaiveSplits(bert, privacy, progress);
        for (int k = 1; k < bert.Config.Layers; k++)
        {
            Add($"hidden state after layer {k}, float16", $"split after layer {k}", 2.0 * bert.Config.Hidden * tokenCount / n, naive[k].Half, k * LayerMacsPerToken,
                recovery: probed?[k]);
            Add($"hidden state after layer {k}, 8-bit per token + LZ4", $"split after layer {k}", naive[k].AffineBytes, naive[k].Affine, k * LayerMacsPerToken);
        }
        foreach (var (edge, server) in models)
        {
            for (int level = 0; level < edge.Levels.Count; level++)
            {
                progress?.Report($"{edge.Id} level {level} …");
                var (received, bytes, ideal) = Learned(edge.Levels[level], server.Levels[level], server.Latent, tokens);
                int cut = edge.Manifest.ReadConfig<TextSplitConfig>().Bottleneck.Cut;
                double? recovery = null;
                if (privacy is not null)
                {
                    progress?.Report($"{edge.Id} level {level}: inversion probe …");
                    recovery = InversionProbe.Recovery(Latents(edge.Levels[level], server, privacy.Train), Latents(edge.Levels[level], server, privacy.Test), server.Latent.Channels);
                }
                Add($"{edge.Id} level {level} (β={edge.Manifest.Levels[level].Beta})", $"split after layer {cut}", bytes, received, cut * LayerMacsPerToken, ideal, recovery);
            }
        }
        return new TextReport(n, tokenCount / n, utf8.Average(b => b.Length), quality.Lemmas.Count, rows, privacy?.Train.Count ?? 0, privacy?.Test.Count ?? 0);
    }

    private static int Varint(long value) => value < 1 << 7 ? 1 : value < 1 << 14 ? 2 : value < 1 << 21 ? 3 : 4;

    private static int Brotli(byte[] text)
    {
        var output = new byte[BrotliEncoder.GetMaxCompressedLength(text.Length)];
        return BrotliEncoder.TryCompress(text, output, out int written, quality: 11, window: 22) ? written : text.Length;
    }

    private static int Deflate(byte[] text)
    {
        using var memory = new MemoryStream();
        using (var deflate = new DeflateStream(memory, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            deflate.Write(text);
        }
        return (int)memory.Length;
    }

    /// <summary>Token probabilities of the training glosses, add-one smoothed over the vocabulary.</summary>
    private static double[] Unigram(IReadOnlyList<long[]> train, int vocabulary)
    {
        var counts = new double[vocabulary];
        Array.Fill(counts, 1);
        foreach (var sentence in train)
        {
            foreach (var id in sentence[1..^1])
            {
                counts[id]++;
            }
        }
        double total = counts.Sum();
        return [.. counts.Select(c => c / total)];
    }

    /// <summary>A naive split after layer k: what the server ends with from float16 and from 8-bit + LZ4 hidden states, and the latter's mean bytes.</summary>
    private sealed record NaiveSplit(float[][] Half, float[][] Affine, double AffineBytes);

    /// <summary>
    /// Naive splits after every inner layer boundary, in one pass per sentence: its layers run one
    /// at a time and the tail runs from each boundary, so no hidden state outlives its sentence.
    /// </summary>
    private static NaiveSplit[] NaiveSplits(BertModel bert, IReadOnlyList<long[]> tokens, IProgress<string>? progress)
    {
        int layers = bert.Config.Layers;
        var splits = Enumerable.Range(0, layers).Select(_ => new NaiveSplit(new float[tokens.Count][], new float[tokens.Count][], 0)).ToArray();
        var bytes = new double[layers];
        using var mode = inference_mode();
        for (int i = 0; i < tokens.Count; i++)
        {
            if (i % 1000 == 0)
            {
                progress?.Report($"naive splits: {i} of {tokens.Count} glosses …");
            }
            using var scope = NewDisposeScope();
            int length = tokens[i].Length;
            var mask = ones(1, length);
            var h = bert.Embed(tensor(tokens[i], [1, length]));
            for (int k = 1; k < layers; k++)
            {
                h = bert.Run(h, mask, k - 1, k);
                var hidden = h.data<float>().ToArray();
                var (viaAffine, size) = Affine8Lz4(hidden, bert.Config.Hidden);
                bytes[k] += size;
                splits[k].Half[i] = Tail(bert, Half(hidden), length, k);
                splits[k].Affine[i] = Tail(bert, viaAffine, length, k);
            }
        }
        return [.. splits.Select((split, k) => split with { AffineBytes = bytes[k] / tokens.Count })];
    }

    /// <summary>
    /// Token recovery from the float16 hidden state after every inner layer: the probe's held-out
    /// sentences run layer by layer, and each boundary's states train and score one probe.
    /// </summary>
    private static double[] ProbeNaiveSplits(BertModel bert, PrivacySet privacy, IProgress<string>? progress)
    {
        int layers = bert.Config.Layers;
        List<(long[], float[])>[] States(IReadOnlyList<long[]> sentences)
        {
            var states = Enumerable.Range(0, layers).Select(_ => new List<(long[], float[])>()).ToArray();
            using var mode = inference_mode();
            foreach (var ids in sentences)
            {
                using var scope = NewDisposeScope();
                var mask = ones(1, ids.Length);
                var h = bert.Embed(tensor(ids, [1, ids.Length]));
                for (int k = 1; k < layers; k++)
                {
                    h = bert.Run(h, mask, k - 1, k);
                    states[k].Add((ids, Half(h.data<float>().ToArray())));
                }
            }
            return states;
        }
        var train = States(privacy.Train);
        var test = States(privacy.Test);
        var recovery = new double[layers];
        for (int k = 1; k < layers; k++)
        {
            progress?.Report($"inversion probe on the hidden state after layer {k} …");
            recovery[k] = InversionProbe.Recovery(train[k], test[k], bert.Config.Hidden);
        }
        return recovery;
    }

    /// <summary>What the server decodes of each sentence at a level, ŷ as one row of N channels per token.</summary>
    private static List<(long[], float[])> Latents(SplitLevel edge, SplitModel server, IReadOnlyList<long[]> sentences)
    {
        int channels = server.Latent.Channels;
        var rows = new List<(long[], float[])>();
        foreach (var ids in sentences)
        {
            var (yHat, _, _) = Sent(edge, server.Levels[edge.Level], server.Latent, ids);
            // (N, S) channels first → (S, N) one row per token.
            var perToken = new float[yHat.Length];
            for (int c = 0; c < channels; c++)
            {
                for (int t = 0; t < ids.Length; t++)
                {
                    perToken[t * channels + c] = yHat[c * ids.Length + t];
                }
            }
            rows.Add((ids, perToken));
        }
        return rows;
    }

    /// <summary>Each sentence through a learned level as deployed: edge part, the level's rANS stream, server part; the stream's mean bytes and the ideal ones.</summary>
    private static (float[][] Embeddings, double Bytes, double IdealBytes) Learned(SplitLevel edge, SplitLevel server, LatentShape latent, IReadOnlyList<long[]> tokens)
    {
        var embeddings = new float[tokens.Count][];
        double bytes = 0, idealBits = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            var (yHat, streamBytes, ideal) = Sent(edge, server, latent, tokens[i]);
            bytes += streamBytes;
            idealBits += ideal;
            embeddings[i] = server.Server!.Run(yHat, [tokens[i].Length], tokens[i].Length).Embeddings!;
        }
        return (embeddings, bytes / tokens.Count, idealBits / 8 / tokens.Count);
    }

    /// <summary>One sentence over the wire at a level: the edge part's symbols, coded, then decoded as the server does; ŷ, the stream's bytes and its ideal bits.</summary>
    private static (float[] YHat, int Bytes, double IdealBits) Sent(SplitLevel edge, SplitLevel server, LatentShape latent, long[] ids)
    {
        var symbols = edge.Edge!.Encode(SplitInput.TokenIds([.. ids.Select(t => (int)t)]));
        var stream = edge.Entropy.Compress(symbols.Symbols);
        var yHat = new float[latent.Elements(ids.Length)];
        if (!server.Entropy.TryDecompress(stream, yHat, out var error))
        {
            throw new InvalidOperationException($"level {edge.Level} does not decode its own stream: {error}");
        }
        return (yHat, stream.Length, edge.Entropy.IdealBits(symbols.Symbols));
    }

    private static float[] Tail(BertModel bert, float[] hidden, int length, int cut)
    {
        using var scope = NewDisposeScope();
        var mask = ones(1, length);
        var h = bert.Run(tensor(hidden, [1, length, bert.Config.Hidden]), mask, cut, bert.Config.Layers);
        return BertModel.MeanPool(h, mask).data<float>().ToArray();
    }

    /// <summary>Per token: min and scale as two float32, 8-bit levels; the whole sentence's levels in one LZ4 block.</summary>
    private static (float[] Decoded, int Bytes) Affine8Lz4(float[] hidden, int width)
    {
        int tokens = hidden.Length / width;
        var levels = new byte[hidden.Length];
        var decoded = new float[hidden.Length];
        for (int t = 0; t < tokens; t++)
        {
            var row = hidden.AsSpan(t * width, width);
            float min = float.MaxValue, max = float.MinValue;
            foreach (var v in row)
            {
                (min, max) = (Math.Min(min, v), Math.Max(max, v));
            }
            float scale = max > min ? (max - min) / 255 : 1;
            for (int d = 0; d < width; d++)
            {
                byte q = (byte)Math.Clamp(MathF.Round((row[d] - min) / scale), 0, 255);
                levels[t * width + d] = q;
                decoded[t * width + d] = q * scale + min;
            }
        }
        var block = new byte[LZ4Codec.MaximumOutputSize(levels.Length)];
        int written = LZ4Codec.Encode(levels, block, LZ4Level.L12_MAX);
        return (decoded, written + 8 * tokens);
    }

    private static float[] Half(float[] values) => [.. values.Select(v => (float)(Half)v)];

    private static float[] Affine8(float[] values)
    {
        float min = values.Min(), max = values.Max(), scale = max > min ? (max - min) / 255 : 1;
        return [.. values.Select(v => MathF.Round((v - min) / scale) * scale + min)];
    }
}
