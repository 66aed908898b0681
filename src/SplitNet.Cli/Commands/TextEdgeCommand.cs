using System.CommandLine;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Edge.Resilience;
using SplitNet.Edge.Sources;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Models.Text;

namespace SplitNet.Cli.Commands;

/// <summary>What a text edge runs: the split model, where its sentences come from, and how it sends them.</summary>
/// <param name="Lines">A file of sentences, one per line, or <c>-</c> for standard input; null: the WordNet glosses of <paramref name="Data"/>.</param>
internal sealed record TextEdgeSettings(string Model, string Data, string? Lines, uint? Rate, int Count, int Window, int Show, int Threads, int DeadlineMs, bool Json)
{
    public string EdgeBundle => SplitModelBundle.SideDirectory(Model, BundleSide.Edge);
    public string ServerBundle => SplitModelBundle.SideDirectory(Model, BundleSide.Server);
}

/// <summary>The summary of a text edge run: what the device sent and how close the server's answers came to the unsplit model.</summary>
/// <param name="Accuracy">Category accuracy of the server's answers over labelled sentences (null without labels or a head).</param>
/// <param name="UnsplitAccuracy">The same head on the unsplit model's embeddings of the same sentences.</param>
/// <param name="Cosine">Mean cosine of the served embedding to the unsplit model's.</param>
internal sealed record TextEdgeSummary(string Model, int Level, int Sentences, int Failed, double TokensPerSentence, double BytesPerSentence, double BytesPerToken,
    double? Accuracy, double? UnsplitAccuracy, double Cosine, LatencySummary LatencyMs, double SentencesPerSecond);

/// <summary>
/// <c>splitnet edge text</c> and <c>splitnet demo text</c>: sentences tokenized on the device, run
/// through the edge part of a text split model and streamed as rANS-coded latents; the answers
/// (embedding and category) are compared with all-MiniLM-L6-v2 run unsplit on the same sentences.
/// </summary>
internal static class TextEdgeCommand
{
    public static string DefaultModel => Path.Combine(CommonOptions.AssetsDirectory, "models", "minilm");

    public static string SampleGlosses => Path.Combine(CommonOptions.AssetsDirectory, "wordnet-sample", "data.noun");

    /// <summary>The options of every text edge run, added to <paramref name="command"/>; read them back with the returned function.</summary>
    public static Func<ParseResult, TextEdgeSettings> AddOptions(Command command)
    {
        var model = new Option<string>("--model")
        {
            Description = "Text split model folder with edge/ and server/ bundles (default: the shipped MiniLM split).",
            DefaultValueFactory = _ => DefaultModel,
        };
        var data = new Option<string>("--data")
        {
            Description = "WordNet data.noun file (or its folder) whose glosses are sent, labelled with their category (default: the shipped sample).",
            DefaultValueFactory = _ => SampleGlosses,
        };
        var lines = new Option<string?>("--lines") { Description = "Send the lines of this file instead (- for standard input); unlabelled." };
        var rate = new Option<uint?>("--rate") { Description = "Rate level (0 = lowest rate; default: the model's default level)." };
        var count = new Option<int>("--count") { Description = "Sentences to send (0 = all)." };
        var window = new Option<int>("--window") { Description = "Unanswered frames allowed in flight.", DefaultValueFactory = _ => 16 };
        var show = new Option<int>("--show") { Description = "Answers to print before the summary.", DefaultValueFactory = _ => 8 };
        var threads = CommonOptions.Threads();
        var deadline = CommonOptions.DeadlineMs(2000);
        var json = CommonOptions.Json();
        foreach (var option in new Option[] { model, data, lines, rate, count, window, show, threads, deadline, json })
        {
            command.Options.Add(option);
        }
        return result => new(result.GetValue(model)!, result.GetValue(data)!, result.GetValue(lines), result.GetValue(rate), result.GetValue(count),
            result.GetValue(window), result.GetValue(show), result.GetValue(threads), result.GetValue(deadline), result.GetValue(json));
    }

    /// <summary>Runs the text edge against <paramref name="client"/>'s servers and prints the summary.</summary>
    public static async Task<TextEdgeSummary> RunAsync(TextEdgeSettings settings, Func<StreamOpen?, EdgeClient> client, CancellationToken cancellation)
    {
        CommonOptions.UseThreads(settings.Threads);
        using var model = SplitModel.Load(settings.EdgeBundle, BundleSide.Edge, TorchFamilies.All);
        if (model.Manifest.Input != InputKind.Tokens)
        {
            throw new InvalidDataException($"{settings.EdgeBundle}: model '{model.Id}' takes {model.Manifest.Input}, not text.");
        }
        var (modelPath, vocabulary) = MiniLmPackage.Locate();
        var tokenizer = new WordPieceTokenizer(vocabulary, model.Latent.MaxLength);
        var source = Source(settings, model.Manifest.Labels, tokenizer);
        int count = settings.Count > 0 ? Math.Min(settings.Count, source.Count) : source.Count;
        var head = new LatentEdgeHead(model, settings.Rate ?? (uint)model.Manifest.DefaultLevel);
        var answers = new EdgeAnswer?[count];
        var payloadBytes = new int[count];
        int shown = 0;
        await using var edge = client(head.Open);
        var report = await EdgeRunner.RunAsync(head, edge, new Limited(source, count), new EdgeRunOptions { Deadline = TimeSpan.FromMilliseconds(settings.DeadlineMs) }, onFrame: outcome =>
        {
            answers[outcome.Index] = outcome.Answer;
            payloadBytes[outcome.Index] = outcome.PayloadBytes;
            if (!settings.Json && Interlocked.Increment(ref shown) <= settings.Show)
            {
                Console.WriteLine(Describe(source, (int)outcome.Index, outcome, model.Manifest.Labels));
            }
        }, cancellation: cancellation);

        // The unsplit model on the same sentences: what every answer is measured against.
        using var bert = BertOnnxImport.Load(modelPath, BertConfig.MiniLmL6);
        var tokens = Enumerable.Range(0, count).Select(i => source.Input(i).Tokens.ToArray().Select(t => (long)t).ToArray()).ToArray();
        var unsplit = bert.SentenceEmbeddings(tokens);
        var answered = Enumerable.Range(0, count).Where(i => answers[i] is { Succeeded: true, Embedding: not null }).ToArray();
        double cosine = answered.Length == 0 ? 0 : answered.Average(i => BertModel.Cosine(answers[i]!.Embedding!, unsplit[i]));
        var labelled = answered.Where(i => source.Label(i) >= 0).ToArray();
        double? accuracy = null, unsplitAccuracy = null;
        if (labelled.Length > 0 && model.Manifest.Labels.Count > 0)
        {
            using var server = SplitModel.Load(settings.ServerBundle, BundleSide.Server, TorchFamilies.All);
            var reference = TextSplitFamily.Classify(server, [.. labelled.Select(i => unsplit[i])]);
            accuracy = labelled.Average(i => answers[i]!.ClassId == source.Label(i) ? 1.0 : 0);
            unsplitAccuracy = labelled.Select((i, k) => ArgMax(reference[k]) == source.Label(i) ? 1.0 : 0).Average();
        }
        double tokenCount = tokens.Sum(t => t.Length);
        var summary = new TextEdgeSummary(model.Id, (int)head.RateLevel, count, report.Failed, tokenCount / count, payloadBytes.Average(), payloadBytes.Sum() / tokenCount,
            accuracy, unsplitAccuracy, cosine, report.LatencyMs, report.FramesPerSecond);
        Print(settings, summary, source.Name);
        return summary;
    }

    private static TextSource Source(TextEdgeSettings settings, IReadOnlyList<string> labels, WordPieceTokenizer tokenizer)
    {
        if (settings.Lines is "-")
        {
            return TextSource.FromLines(Console.In, "standard input", tokenizer);
        }
        if (settings.Lines is { } file)
        {
            using var reader = File.OpenText(file);
            return TextSource.FromLines(reader, file, tokenizer);
        }
        var path = Directory.Exists(settings.Data) ? Path.Combine(settings.Data, "data.noun") : settings.Data;
        return TextSource.FromWordNet(path, labels, tokenizer);
    }

    private static string Describe(TextSource source, int index, FrameOutcome outcome, IReadOnlyList<string> labels)
    {
        var a = outcome.Answer;
        var text = source.Sentences[index];
        text = text.Length > 48 ? text[..47] + "…" : text;
        if (!a.Succeeded)
        {
            return $"{index,4}  failed: {a.Failure}";
        }
        var category = labels.Count > 0 ? $"{labels[a.ClassId],-18} p={a.Confidence:F2}  truth {(source.Label(index) >= 0 ? labels[source.Label(index)] : "?"),-18}" : "";
        return $"{index,4}  {category} {outcome.PayloadBytes,4} B  {outcome.Latency.TotalMilliseconds,6:F1} ms  {text}";
    }

    private static void Print(TextEdgeSettings settings, TextEdgeSummary s, string sourceName)
    {
        if (settings.Json)
        {
            JsonOutput.Write(s);
            return;
        }
        Console.WriteLine();
        Console.WriteLine($"model {s.Model}: rate level {s.Level}, {s.Sentences} sentences from {sourceName} ({s.Failed} failed)");
        if (s.Accuracy is { } accuracy)
        {
            Console.WriteLine($"category        {accuracy:P1} (the same head on the unsplit embeddings: {s.UnsplitAccuracy:P1})");
        }
        Console.WriteLine($"cosine          {s.Cosine:F4} mean, to all-MiniLM-L6-v2 unsplit");
        Console.WriteLine($"bytes           {s.BytesPerSentence:F1} per sentence, {s.BytesPerToken:F2} per token ({s.TokensPerSentence:F1} tokens per sentence)");
        Console.WriteLine($"latency         p50 {s.LatencyMs.P50:F2} ms  p99 {s.LatencyMs.P99:F2} ms; {s.SentencesPerSecond:F0} sentences/s");
    }

    private static int ArgMax(float[] values) => Array.IndexOf(values, values.Max());

    /// <summary>The first <c>count</c> frames of a source.</summary>
    private sealed class Limited(IFrameSource source, int count) : IFrameSource
    {
        public string Name => source.Name;
        public int Count => count;
        public SplitInput Input(int index) => source.Input(index);
        public int Label(int index) => source.Label(index);
    }
}
