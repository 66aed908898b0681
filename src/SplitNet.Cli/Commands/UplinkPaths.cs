using System.Diagnostics;
using SplitNet.Codec;
using SplitNet.Edge;
using SplitNet.Edge.Sources;
using SplitNet.LoadTest;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Split;
using SplitNet.Models.Teacher;
using SplitNet.Models.Text;
using static TorchSharp.torch;

namespace SplitNet.Cli.Commands;

/// <summary>
/// One way to get a model's answer over the uplink. <paramref name="Reference"/>: the unsplit
/// model's embedding per source item, for the cosine of a text model's answers.
/// </summary>
internal sealed record UplinkPath(string Model, string Name, IFrameSource Source, Func<IFrameEncoder> Encoder, float[][]? Reference = null);

/// <summary>What the comparative run measures: every path of the vision model and of the text model, and both on the device alone.</summary>
internal sealed class UplinkPaths : IDisposable
{
    public const string Vision = "vision", Text = "text";

    private readonly SplitModel _split, _textEdge, _textServer;
    private readonly TeacherNet _teacher;
    private readonly BertModel _bert;
    private readonly float[][] _reference;

    public UplinkPaths(UplinkSettings s)
    {
        var images = FashionMnist.Load(s.Data, DatasetSplit.Test);
        var vision = new DatasetSource(images.Take(Math.Min(s.Limit, images.Count)), Path.GetFileName(s.Data));
        _split = SplitModel.Load(SplitModelBundle.SideDirectory(CommonOptions.DefaultEntropic, BundleSide.Edge), BundleSide.Edge, TorchFamilies.All);
        (_teacher, var manifest) = TeacherBundle.Load(CommonOptions.DefaultTeacher);
        var paths = new List<UplinkPath>();
        for (uint level = 0; level < _split.Levels.Count; level++)
        {
            uint l = level;
            paths.Add(new(Vision, $"split, level {l}", vision, () => new LatentEdgeHead(_split, l)));
        }
        var stage2 = FeatureSplit.Point(manifest.Architecture, "stage2");
        paths.Add(new(Vision, "naive split (stage2, 8-bit + LZ4)", vision, () => new EdgeHead(FeatureSplit.Head(_teacher, manifest, stage2), CodecId.Affine8Lz4)));
        var input = new TensorShape(FeatureSplit.Input.Feature.Dimensions);
        var (scale, offset) = FeatureSplit.InputAffine;
        paths.Add(new(Vision, "server-only, PNG", vision, () => new ImageEdgeHead(manifest.ModelId, input, CodecId.Png, scale, offset)));
        paths.Add(new(Vision, "server-only, WebP lossless", vision, () => new ImageEdgeHead(manifest.ModelId, input, CodecId.WebpLossless, scale, offset)));

        _textEdge = SplitModel.Load(SplitModelBundle.SideDirectory(s.TextModel, BundleSide.Edge), BundleSide.Edge, TorchFamilies.All);
        _textServer = SplitModel.Load(SplitModelBundle.SideDirectory(s.TextModel, BundleSide.Server), BundleSide.Server, TorchFamilies.All);
        var (model, vocabulary) = MiniLmPackage.Locate();
        var tokenizer = new WordPieceTokenizer(vocabulary, _textEdge.Latent.MaxLength);
        var glosses = Directory.Exists(s.TextData) ? Path.Combine(s.TextData, "data.noun") : s.TextData;
        TextSentences = TextSource.FromWordNet(glosses, _textEdge.Manifest.Labels, tokenizer);
        _bert = BertOnnxImport.Load(model, BertConfig.MiniLmL6);
        var reference = _bert.SentenceEmbeddings([.. Enumerable.Range(0, TextSentences.Count).Select(i => TokenIds(TextSentences, i))]);
        for (uint level = 0; level < _textEdge.Levels.Count; level++)
        {
            uint l = level;
            paths.Add(new(Text, $"split, level {l}", TextSentences, () => new LatentEdgeHead(_textEdge, l), reference));
        }
        int cut = _textEdge.Manifest.ReadConfig<TextSplitConfig>().Bottleneck.Cut;
        var point = TextFeatureSplit.Points(_textEdge.Latent.MaxLength)[cut];
        paths.Add(new(Text, $"naive split ({point.Name}, float16)", TextSentences, () => new EdgeHead(TextFeatureSplit.Head(_textEdge.Id, point), CodecId.Float16), reference));
        paths.Add(new(Text, "server-only, the text (UTF-8)", TextSentences, () => new SentenceEdgeHead(_textEdge.Id), reference));
        All = paths;
        _reference = reference;
    }

    public IReadOnlyList<UplinkPath> All { get; }

    public TextSource TextSentences { get; }

    /// <summary>The models <c>splitnet serve</c> must load for every path.</summary>
    public static string[] ServerModels(UplinkSettings s) =>
    [
        "--model", CommonOptions.DefaultTeacher,
        "--model", SplitModelBundle.SideDirectory(CommonOptions.DefaultEntropic, BundleSide.Server),
        "--model", SplitModelBundle.SideDirectory(s.TextModel, BundleSide.Server),
    ];

    /// <summary>The whole teacher on the device, one thread, image after image: no bytes on any link.</summary>
    public UplinkBenchCommand.Row VisionEdgeOnly(double seconds) => EdgeOnly(Vision, "edge-only (whole teacher on the device)", VisionSource, seconds, i =>
    {
        var source = VisionSource;
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var x = ImageTensors.Single(source.Input(i).Pixels, FashionMnist.Height, FashionMnist.Width);
        return ((int)_teacher.Run(x, TeacherStage.Stem, TeacherStage.Head).argmax(1).item<long>(), double.NaN);
    });

    /// <summary>The whole MiniLM and the category head on the device, one thread, sentence after sentence.</summary>
    public UplinkBenchCommand.Row TextEdgeOnly(double seconds) => EdgeOnly(Text, "edge-only (whole MiniLM + head on the device)", TextSentences, seconds, i =>
    {
        var embedding = _bert.SentenceEmbeddings([TokenIds(TextSentences, i)]);
        var probabilities = TextSplitFamily.Classify(_textServer, embedding)[0];
        return (Array.IndexOf(probabilities, probabilities.Max()), BertModel.Cosine(embedding[0], _reference[i]));
    });

    private IFrameSource VisionSource => All[0].Source;

    private static long[] TokenIds(TextSource source, int index) => [.. source.Input(index).Tokens.ToArray().Select(t => (long)t)];

    private static UplinkBenchCommand.Row EdgeOnly(string model, string name, IFrameSource source, double seconds, Func<int, (int Predicted, double Cosine)> run)
    {
        var latency = new HdrHistogram.LongHistogram(60_000_000, 3);
        int frames = 0, correct = 0, labelled = 0;
        double cosine = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            int i = frames % source.Count;
            long start = Stopwatch.GetTimestamp();
            var (predicted, c) = run(i);
            latency.RecordValue((long)Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            labelled += source.Label(i) >= 0 ? 1 : 0;
            correct += predicted == source.Label(i) ? 1 : 0;
            cosine += c;
            frames++;
        }
        var summary = LatencySummary.FromMicros(latency);
        return new UplinkBenchCommand.Row(model, "", name, frames / clock.Elapsed.TotalSeconds, summary.P50, summary.P99, summary.P999, 0, 0,
            labelled == 0 ? double.NaN : (double)correct / labelled, double.IsNaN(cosine) ? null : cosine / frames, frames, 0, 0);
    }

    public void Dispose()
    {
        _split.Dispose();
        _teacher.Dispose();
        _textEdge.Dispose();
        _textServer.Dispose();
        _bert.Dispose();
    }
}
