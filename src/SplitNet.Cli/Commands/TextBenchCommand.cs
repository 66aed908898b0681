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
internal sealed record TextBenchSettings(string Data, int Limit, string[] Models, int Threads, string? Out, bool Json);

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
        var threads = CommonOptions.Threads();
        var output = CommonOptions.ReportOut();
        var json = CommonOptions.Json();
        var command = new Command("text", "all-MiniLM-L6-v2 on WordNet glosses: the text, its token ids, the embedding and naive splits at every layer, in bytes and cosine to the unsplit embedding.")
        {
            data, limit, models, threads, output, json,
        };
        command.SetAction(result => Run(new TextBenchSettings(result.GetValue(data)!, result.GetValue(limit), result.GetValue(models)!, result.GetValue(threads), result.GetValue(output), result.GetValue(json))));
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
        var measured = Sample(test, settings.Limit, seed: 1);
        var sentences = measured.Select(s => s.Gloss).ToArray();
        var categories = train.Select(s => s.Category).Distinct().Order(StringComparer.Ordinal).ToList();
        var probe = Sample(train, ProbeGlosses, seed: 2);
        var quality = new TextQualitySet(
            [.. measured.Select(s => categories.IndexOf(s.Category))], categories.Count,
            [.. probe.Select(s => tokenizer.Encode(s.Gloss))], [.. probe.Select(s => categories.IndexOf(s.Category))],
            [.. measured.Take(Candidates).Select(s => tokenizer.Encode(s.Lemmas[0]))]);
        var loaded = settings.Models.Select(m => (SplitModel.Load(SplitModelBundle.SideDirectory(m, BundleSide.Edge), BundleSide.Edge),
            SplitModel.Load(SplitModelBundle.SideDirectory(m, BundleSide.Server), BundleSide.Server))).ToList();
        try
        {
            var report = TextBenchmark.Run(bert, sentences, [.. sentences.Select(tokenizer.Encode)], [.. train.Select(s => tokenizer.Encode(s.Gloss))],
                quality, loaded, new Progress<string>(Console.Error.WriteLine));
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
        Line($"Edge MACs are the device's per token (attention's 768 · S per layer left out).");
        Line($"");
        Line($"| method | who runs the model | bytes/sentence | bytes/token | cosine | category accuracy | retrieval top-1 | top-5 | edge MACs/token |");
        Line($"|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in r.Rows)
        {
            Line($"| {row.Method} | {row.Edge} | {row.BytesPerSentence:F1} | {row.BytesPerToken:F2} | {row.Cosine:F4} | {row.Accuracy:P1} | {row.Top1:P1} | {row.Top5:P1} | {row.EdgeMacsPerToken / 1e6:F1} M |");
        }
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

    private static bool Learned(TextRow row) => row.Edge.StartsWith("split", StringComparison.Ordinal) && !row.Method.StartsWith("hidden state", StringComparison.Ordinal);

    private static string Series(TextRow row) =>
        Learned(row) ? "learned per-token bottleneck"
        : row.Method.StartsWith("hidden state", StringComparison.Ordinal) ? "naive split " + (row.Method.Contains("float16", StringComparison.Ordinal) ? "float16" : "8-bit + LZ4")
        : row.Edge;

    private static Plot Chart(TextReport r)
    {
        var plot = new Plot { Add = { Palette = new ScottPlot.Palettes.Category20() } };
        foreach (var group in r.Rows.GroupBy(Series))
        {
            var points = group.OrderBy(row => row.BytesPerSentence).ToArray();
            var series = plot.Add.ScatterPoints(points.Select(row => Math.Log10(row.BytesPerSentence)).ToArray(), points.Select(row => row.Cosine).ToArray());
            series.LegendText = group.Key;
            series.MarkerSize = 8;
        }
        ReportCharts.LogBottomAxis(plot, "bytes per sentence (log scale)");
        plot.YLabel("cosine to the unsplit embedding");
        plot.Title("all-MiniLM-L6-v2 on WordNet glosses: what crosses the wire");
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }
}
