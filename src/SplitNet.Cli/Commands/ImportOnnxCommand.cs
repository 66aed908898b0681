using System.CommandLine;
using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using SplitNet.Codec;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Edge.Sources;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Onnx;
using SplitNet.OnnxRuntime;
using SplitNet.Server;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet import onnx</c>.</summary>
internal sealed record ImportOnnxSettings(string Model, string[] Cuts, string Out, string? ModelId, string ChannelOrder, float[] Mean, float Scale,
    OutputKind Output, string? Images, int Count, string? Report, bool Json);

/// <summary>One cut and codec of <c>splitnet import onnx</c>'s check: what crossed the wire and how close the answer came to the unsplit model's.</summary>
internal sealed record ImportCheckRow(int Cut, string Tensor, string Codec, long EdgeMacs, double BytesPerFrame, int Frames, int Answered, double MaxAbsDifference, double MinCosine);

/// <summary>
/// <c>splitnet import onnx</c>: cuts any ONNX image model at named tensors into edge and server
/// bundles with the naive codecs, then serves the server bundle on loopback and streams photos
/// through every cut and codec to check the split against the unsplit model.
/// </summary>
internal static class ImportOnnxCommand
{
    public const string OpenCvSamples = "/usr/share/doc/opencv-doc/examples/data";
    private static readonly CodecId[] CheckedCodecs = [CodecId.RawFloat32, CodecId.Float16, CodecId.Affine8Lz4];

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The ONNX file to import.", Required = true };
        var cuts = new Option<string[]>("--cut") { Description = "Tensor to cut at (repeatable): a node's output that separates the graph.", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--out") { Description = "Folder for the edge/ and server/ bundles.", Required = true };
        var id = new Option<string?>("--model-id") { Description = "Model id (default: the file's name)." };
        var order = new Option<string>("--channel-order") { Description = "rgb or bgr: the order of the model's input channels.", DefaultValueFactory = _ => "rgb" };
        var mean = new Option<string>("--mean") { Description = "Per-channel means on 0–255, in the model's channel order, comma-separated.", DefaultValueFactory = _ => "0,0,0" };
        var scale = new Option<float>("--scale") { Description = "Factor after subtracting the mean (1/255 for inputs on 0–1).", DefaultValueFactory = _ => 1f };
        var kind = new Option<OutputKind>("--output") { Description = "What the model's output is: Embedding (sent as is) or Probabilities (its softmax; logits expected).", DefaultValueFactory = _ => OutputKind.Embedding };
        var images = new Option<string?>("--images") { Description = $"Photos to check the split on (default: {OpenCvSamples}, Debian opencv-doc, when present)." };
        var count = new Option<int>("--count") { Description = "Photos to check with (0: none, skip the check).", DefaultValueFactory = _ => 24 };
        var report = new Option<string?>("--report") { Description = "Folder for onnx-import.md, .json and .png (the check's figures)." };
        var json = CommonOptions.Json();
        var command = new Command("onnx", "Cut an ONNX image model at named tensors into edge and server bundles (float16 or 8-bit + LZ4 features, no training), then serve it on loopback and check the split against the unsplit model on photos.")
        {
            model, cuts, output, id, order, mean, scale, kind, images, count, report, json,
        };
        command.SetAction((result, cancellation) => RunAsync(new ImportOnnxSettings(result.GetValue(model)!, result.GetValue(cuts)!, result.GetValue(output)!,
            result.GetValue(id), result.GetValue(order)!, [.. result.GetValue(mean)!.Split(',').Select(m => float.Parse(m, CultureInfo.InvariantCulture))],
            result.GetValue(scale), result.GetValue(kind), result.GetValue(images), result.GetValue(count), result.GetValue(report), result.GetValue(json)), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(ImportOnnxSettings settings, CancellationToken cancellation)
    {
        string edge = SplitModelBundle.SideDirectory(settings.Out, BundleSide.Edge), server = SplitModelBundle.SideDirectory(settings.Out, BundleSide.Server);
        var manifest = OnnxSplitImport.Import(settings.Model, new OnnxImportOptions(
            settings.ModelId ?? Path.GetFileNameWithoutExtension(settings.Model).ToLowerInvariant(), settings.Cuts, settings.ChannelOrder, settings.Mean, settings.Scale, settings.Output),
            edge, server);
        var folder = settings.Images ?? (Directory.Exists(OpenCvSamples) ? OpenCvSamples : null);
        var rows = settings.Count > 0 && folder is not null
            ? await CheckAsync(settings, manifest, edge, server, folder, cancellation)
            : [];
        if (settings.Report is { } reportDirectory && rows.Count > 0)
        {
            ImportReport.Write(settings, manifest, folder!, rows, reportDirectory);
        }
        if (settings.Json)
        {
            JsonOutput.Write(new { model = manifest.ModelId, edge, server, images = folder, cuts = manifest.Cuts.Select(c => new { id = c.Id, tensor = c.Tensor, shape = c.Shape, edge_macs = c.EdgeMacs }), check = rows });
            return rows.All(r => r.Answered == r.Frames) ? 0 : 1;
        }
        Console.WriteLine($"imported {manifest.ModelId}: edge bundle {edge}, server bundle {server}");
        foreach (var cut in manifest.Cuts)
        {
            Console.WriteLine($"  cut {cut.Id} at {cut.Tensor} [{string.Join("×", cut.Shape)}]: {cut.EdgeMacs / 1e6:F0} M MACs on the edge");
        }
        if (rows.Count == 0)
        {
            Console.WriteLine("no photos to check the split with (give --images)");
            return 0;
        }
        Console.WriteLine($"served on loopback, {rows[0].Frames} photos from {folder} per cut and codec:");
        Console.WriteLine($"  {"cut",-4} {"tensor",-20} {"codec",-12} {"edge MACs",10} {"B/frame",10} {"answered",9} {"max |Δ|",9} {"min cos",8}");
        foreach (var r in rows)
        {
            Console.WriteLine($"  {r.Cut,-4} {r.Tensor,-20} {r.Codec,-12} {r.EdgeMacs / 1e6,8:F0} M {r.BytesPerFrame,10:F0} {r.Answered,4}/{r.Frames,-4} {r.MaxAbsDifference,9:G3} {r.MinCosine,8:F5}");
        }
        return rows.All(r => r.Answered == r.Frames) ? 0 : 1;
    }

    /// <summary>Serves the server bundle on loopback and streams the photos through every cut and codec; compares each answer with the unsplit model's output.</summary>
    public static async Task<IReadOnlyList<ImportCheckRow>> CheckAsync(ImportOnnxSettings settings, OnnxSplitManifest manifest, string edge, string server, string folder, CancellationToken cancellation)
    {
        var photos = new ImageFolderSource(folder, [], manifest.Input.Width, manifest.Input.Height, rgb: true);
        int frames = Math.Min(settings.Count, photos.Count);
        var options = new OnnxRuntimeOptions();
        var reference = Reference(settings.Model, manifest, photos, frames, options);
        using var heads = OnnxSplitModel.Load(edge, BundleSide.Edge, options);
        await using var app = SplitNetServerHost.Build([], o =>
        {
            o.Port = 0;
            o.MetricsPort = 0;
            o.Models = [server];
            o.MaxReceiveMessageBytes = 64 << 20;
            o.MaxFrameBytes = 32 << 20;
        }, LogLevel.Warning);
        await app.StartAsync(cancellation);
        await app.WhenReadyAsync(cancellation);
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(app.Urls.First(), new Grpc.Net.Client.GrpcChannelOptions { MaxSendMessageSize = 64 << 20, MaxReceiveMessageSize = 64 << 20 });
        var client = new SplitInference.SplitInferenceClient(channel);
        var rows = new List<ImportCheckRow>();
        foreach (var cut in manifest.Cuts)
        {
            foreach (var codec in CheckedCodecs)
            {
                var head = new EdgeHead(heads.Heads[cut.Id], codec);
                await using var session = new StreamingSession(client, 4, cancellation: cancellation);
                var sent = new List<(int Index, Task<InferResponse> Answer, int Bytes)>();
                for (int i = 0; i < frames; i++)
                {
                    var payload = head.Encode(photos.Input(i));
                    sent.Add((i, await session.SendAsync((ulong)i, payload, cancellation: cancellation), payload.Length));
                }
                await session.CompleteAsync();
                int answered = 0;
                double worst = 0, cosine = 1;
                foreach (var (index, answer, _) in sent)
                {
                    var response = await answer;
                    // An embedding comes whole; probabilities come as the top classes, compared at their ids.
                    var (got, expected) = manifest.Output == OutputKind.Embedding
                        ? ([.. response.Embedding], reference[index])
                        : (response.Predictions.Select(p => p.Probability).ToArray(), response.Predictions.Select(p => reference[index][p.ClassId]).ToArray());
                    if (response.Error is not null || got.Length == 0 || got.Length != expected.Length)
                    {
                        continue;
                    }
                    answered++;
                    worst = Math.Max(worst, got.Zip(expected, (a, b) => (double)Math.Abs(a - b)).Max());
                    cosine = Math.Min(cosine, TensorPrimitives.CosineSimilarity(got, expected));
                }
                rows.Add(new ImportCheckRow(cut.Id, cut.Tensor, codec switch { CodecId.RawFloat32 => "float32", CodecId.Float16 => "float16", _ => "affine8-lz4" }, cut.EdgeMacs, sent.Average(s => s.Bytes), frames, answered, worst, cosine));
            }
        }
        await app.StopAsync(cancellation);
        return rows;
    }

    /// <summary>The unsplit model's output for each photo, in one ONNX Runtime session on the imported file.</summary>
    private static float[][] Reference(string model, OnnxSplitManifest manifest, ImageFolderSource photos, int frames, OnnxRuntimeOptions options)
    {
        using var session = OnnxSessions.Create(model, options);
        var output = session.OutputMetadata.Keys.Single();
        return [.. Enumerable.Range(0, frames).Select(i =>
        {
            using var value = OrtValue.CreateTensorValueFromMemory(ImageInput.Tensor(photos.Input(i).Pixels, manifest.Input, manifest.ModelId), [1, 3, manifest.Input.Height, manifest.Input.Width]);
            using var outputs = session.Run(new RunOptions(), [manifest.Input.Name], [value], [output]);
            var values = outputs[0].GetTensorDataAsSpan<float>().ToArray();
            return manifest.Output == OutputKind.Embedding ? values : Softmax(values);
        })];
    }

    private static float[] Softmax(float[] logits)
    {
        var probabilities = new float[logits.Length];
        TensorPrimitives.SoftMax(logits, probabilities);
        return probabilities;
    }

}
