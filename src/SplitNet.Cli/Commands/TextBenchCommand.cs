using System.CommandLine;
using System.Globalization;
using System.Text;
using ScottPlot;
using SplitNet.Evaluation;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Split;
using SplitNet.Models.Text;
using SplitNet.Training.Text;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet bench text</c>.</summary>
internal sealed record TextBenchSettings(string Data, int Limit, string[] Models, int ProbeGlosses, int Threads, string? Out, bool Json);

/// <summary><c>splitnet bench text</c>: bytes and quality of every way to get a sentence embedding to the server.</summary>
internal static class TextBenchCommand
{
    /// <summary>Training glosses the linear category head learns from, and the lemma candidates of retrieval.</summary>
    private const int ProbeGlosses = 5000, Candidates = 1000;

    public static Command Create()
    {
        var data = CommonOptions.Data(WordNet.DebianDirectory);
        var limit = new Option<int>("--limit") { Description = "Held-out noun glosses to measure on.", DefaultValueFactory = _ => 5000 }
            .Require(n => n > 0, "at least one gloss.");
        var models = new Option<string[]>("--model")
        {
            Description = "Text split model folder (with edge/ and server/) whose levels join the report (repeatable).",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [],
        };
        var privacy = new Option<int>("--probe-glosses")
        {
            Description = "Held-out glosses (not among those measured) the inversion probe trains on; it is scored on 500 measured ones. 0: no probe.",
            DefaultValueFactory = _ => 3000,
        };
        var threads = CommonOptions.Threads();
        var output = CommonOptions.ReportOut();
        var json = CommonOptions.Json();
        var command = new Command("text", "all-MiniLM-L6-v2 on WordNet glosses: the text, its token ids, the embedding and naive splits at every layer, in bytes and cosine to the unsplit embedding.")
        {
            data, limit, models, privacy, threads, output, json,
        };
        command.SetAction(result => Run(new TextBenchSettings(result.GetValue(data)!, result.GetValue(limit), result.GetValue(models)!, result.GetValue(privacy),
            result.GetValue(threads), result.GetValue(output), result.GetValue(json))));
        return command;
    }

    private static int Run(TextBenchSettings settings)
    {
        CommonOptions.UseThreads(settings.Threads);
        var (modelPath, vocabulary) = MiniLmPackage.Locate();
        using var bert = BertOnnxImport.Load(modelPath, BertConfig.MiniLmL6);
        var tokenizer = new WordPieceTokenizer(vocabulary, TextSplits.MaxTokens);
        var (train, test) = TextSplits.NounGlosses(settings.Data);
        // WordNet's data files run category by category: subsets are drawn at random (seeded), never taken from the front.
        var shuffledTest = Sample(test, test.Count, seed: 1);
        var measured = shuffledTest[..Math.Min(settings.Limit, shuffledTest.Length)];
        var sentences = measured.Select(s => s.Gloss).ToArray();
        var probe = Sample(train, ProbeGlosses, seed: 2);
        var quality = new TextQualitySet(
            [.. measured.Select(CategoryHead.Label)], CategoryHead.Labels.Count,
            [.. probe.Select(s => tokenizer.Encode(s.Gloss))], [.. probe.Select(CategoryHead.Label)],
            [.. measured.Take(Candidates).Select(s => tokenizer.Encode(s.Lemmas[0]))]);
        var loaded = settings.Models.Select(m => (SplitModel.Load(SplitModelBundle.SideDirectory(m, BundleSide.Edge), BundleSide.Edge, TorchFamilies.All),
            SplitModel.Load(SplitModelBundle.SideDirectory(m, BundleSide.Server), BundleSide.Server, TorchFamilies.All))).ToList();
        try
        {
            // The probe learns from held-out glosses the measurement does not use, and is scored on measured ones.
            var held = shuffledTest[measured.Length..].Take(settings.ProbeGlosses).ToArray();
            var privacy = settings.ProbeGlosses > 0 && held.Length > 0
                ? new PrivacySet([.. held.Select(s => tokenizer.Encode(s.Gloss))], [.. measured.Take(500).Select(s => tokenizer.Encode(s.Gloss))])
                : null;
            if (settings.ProbeGlosses > 0 && privacy is null)
            {
                Console.Error.WriteLine("no held-out glosses are left beyond --limit for the inversion probe: lower --limit for token recovery figures");
            }
            var report = TextBenchmark.Run(bert, sentences, [.. sentences.Select(tokenizer.Encode)], [.. train.Select(s => tokenizer.Encode(s.Gloss))],
                quality, loaded, privacy, new Progress<string>(Console.Error.WriteLine));
            ReportOutput.Emit("text", settings.Out, settings.Json, Markdown(report), report, Chart(report));
        }
        finally
        {
            loaded.ForEach(m => { m.Item1.Dispose(); m.Item2.Dispose(); });
        }
        return 0;
    }

    private static Synset[] Sample(IReadOnlyList<Synset> synsets, int count, int seed)
    {
        var shuffled = synsets.ToArray();
        new Random(seed).Shuffle(shuffled);
        return shuffled[..Math.Min(count, shuffled.Length)];
    }

    private static string Markdown(TextReport r)
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        Line($"# Sentence embeddings over the wire: all-MiniLM-L6-v2 on WordNet glosses");
        Line($"");
        Line($"`{ReportOutput.CommandLine}`: {r.Sentences} held-out noun glosses (a seeded random sample), {r.TokensPerSentence:F1} tokens and {r.Utf8BytesPerSentence:F1} UTF-8 bytes each on average.");
        Line($"Quality of the embedding the server ends with: cosine to the unsplit model's; accuracy over the 25 noun categories of a linear head trained once on");
        Line($"unsplit embeddings of {ProbeGlosses} training glosses and applied unchanged; gloss → lemma retrieval among {r.Candidates} candidates (top-1, top-5).");
        Line($"Edge MACs are the device's per token (attention's 768 · S per layer left out). Ideal bytes: Σ −log₂ p(ŷ) / 8 under a level's prior.");
        if (r.ProbeTrainSentences > 0)
        {
            Line($"Token recovery: an attacker MLP (per token, → 256 → ids) trained on what crosses the wire for {r.ProbeTrainSentences} other held-out glosses recovers this share");
            Line($"of the tokens of {r.ProbeTestSentences} measured glosses ([CLS]/[SEP] excluded); text and ids are read outright (100 %), the embedding is not per token (—).");
        }
        Line($"");
        Line($"| method | who runs the model | bytes/sentence | ideal | bytes/token | cosine | category accuracy | retrieval top-1 | top-5 | edge MACs/token | token recovery |");
        Line($"|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in r.Rows)
        {
            var ideal = row.IdealBytesPerSentence is { } i ? i.ToString("F1", CultureInfo.InvariantCulture) : "";
            var recovery = row.TokenRecovery is { } t ? t.ToString("P1", CultureInfo.InvariantCulture) : "—";
            Line($"| {row.Method} | {row.Edge} | {row.BytesPerSentence:F1} | {ideal} | {row.BytesPerToken:F2} | {row.Cosine:F4} | {row.Accuracy:P1} | {row.Top1:P1} | {row.Top5:P1} | {row.EdgeMacsPerToken / 1e6:F1} M | {recovery} |");
        }
        Targets(r, Line);
        var smallest = r.Rows.MinBy(row => row.BytesPerSentence)!;
        Line($"");
        Line($"Smallest: **{smallest.Method}** at {smallest.BytesPerSentence:F1} B per sentence, lossless, with the whole model on the server. A split can only");
        Line($"buy something else: server compute per sentence, or text that never leaves the device; its bytes are the price of that, not a saving.");
        if (!r.Rows.Any(Learned))
        {
            Line($"No learned per-token bottleneck is in this report: give one with --model.");
        }
        return text.ToString();
    }

    /// <summary>The language-model targets, each checked on this report's learned levels against the unsplit model (the text row).</summary>
    private static void Targets(TextReport r, Action<FormattableString> line)
    {
        var levels = r.Rows.Where(Learned).ToArray();
        if (levels.Length == 0)
        {
            return;
        }
        var unsplit = r.Rows.First(row => row.Method == "UTF-8 text");
        var whole = r.Rows.First(row => row.Edge == "edge-only").EdgeMacsPerToken;
        string Mark(bool met) => met ? "met" : "**not met**";
        line($"");
        line($"## Targets");
        line($"");
        line($"Unsplit: category accuracy {unsplit.Accuracy:P1}, retrieval top-1 {unsplit.Top1:P1}.");
        line($"");
        var small = levels.Where(l => l.BytesPerToken <= 8).ToArray();
        if (small.Length == 0)
        {
            line($"- At ≤ 8 B/token: no level is that small ({Mark(false)}).");
        }
        else
        {
            var best = small.MaxBy(l => l.Cosine)!;
            bool met = best.Cosine >= 0.98 && unsplit.Accuracy - best.Accuracy <= 0.01 && unsplit.Top1 - best.Top1 <= 0.01;
            line($"- At ≤ 8 B/token, cosine ≥ 0.98 and both measures within 1 point: best such level {best.Method} at {best.BytesPerToken:F2} B/token, cosine {best.Cosine:F4}, category {100 * (best.Accuracy - unsplit.Accuracy):+0.0;-0.0} points, top-1 {100 * (best.Top1 - unsplit.Top1):+0.0;-0.0} points: {Mark(met)}.");
        }
        var first = levels.Where(l => l.Cosine >= 0.98 && unsplit.Accuracy - l.Accuracy <= 0.01 && unsplit.Top1 - l.Top1 <= 0.01).MinBy(l => l.BytesPerToken);
        if (first is null)
        {
            line($"  No level reaches cosine 0.98 within 1 point on both measures at any rate.");
        }
        else
        {
            line($"  The quality part alone is first met by {first.Method} at {first.BytesPerToken:F2} B/token ({768 / first.BytesPerToken:F0} × below float16 hidden states).");
        }
        var top = levels.MaxBy(l => l.Cosine)!;
        bool close = unsplit.Accuracy - top.Accuracy <= 0.003 && unsplit.Top1 - top.Top1 <= 0.003;
        line($"- Most accurate level within 0.3 point on both: {top.Method}, category {100 * (top.Accuracy - unsplit.Accuracy):+0.0;-0.0}, top-1 {100 * (top.Top1 - unsplit.Top1):+0.0;-0.0} points: {Mark(close)}.");
        var worst = levels.MaxBy(l => l.BytesPerSentence - (1.005 * l.IdealBytesPerSentence!.Value + 16))!;
        line($"- Coded ≤ 1.005 × ideal + 16 B per sentence: worst level {worst.BytesPerSentence:F1} B against {1.005 * worst.IdealBytesPerSentence!.Value + 16:F1} B allowed: {Mark(worst.BytesPerSentence <= 1.005 * worst.IdealBytesPerSentence!.Value + 16)}.");
        line($"- Edge compute ≤ 1/3 of the whole model per token: {levels[0].EdgeMacsPerToken / 1e6:F2} M of {whole / 1e6:F2} M ({levels[0].EdgeMacsPerToken / whole:P1}): {Mark(levels[0].EdgeMacsPerToken <= whole / 3 + 1)}.");
    }

    private static bool Learned(TextRow row) => row.Edge.StartsWith("split", StringComparison.Ordinal) && !row.Method.StartsWith("hidden state", StringComparison.Ordinal);

    private static string Series(TextRow row) =>
        Learned(row) ? "learned per-token bottleneck"
        : row.Method.StartsWith("hidden state", StringComparison.Ordinal) ? "naive split " + (row.Method.Contains("float16", StringComparison.Ordinal) ? "float16" : "8-bit + LZ4")
        : row.Edge;

    private static Plot Chart(TextReport r) =>
        ReportCharts.BytesScatter(r.Rows, Series, row => row.BytesPerSentence, row => row.Cosine, joined: false, markerSize: 8,
            "bytes per sentence (log scale)", "cosine to the unsplit embedding", "all-MiniLM-L6-v2 on WordNet glosses: what crosses the wire");
}
