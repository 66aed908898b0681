using System.CommandLine;
using SplitNet.Codec;
using SplitNet.Models.Bundles;
using SplitNet.Models.Teacher;

using SplitNet.Server.Serving;

namespace SplitNet.Cli.Commands;

/// <summary>What the edge runs on and how: the options of <c>demo</c>, and the edge part of <see cref="EdgeCommandSettings"/>.</summary>
internal sealed record EdgeSettings(string Data, string Teacher, string? Entropic, uint? Rate, string Split, CodecId Codec, int Count, int Window, int Show, int Threads, bool Json,
    string? Images, double? Fps, double? Seconds, int DeadlineMs, bool Adaptive, double? Tau, ModelBackend Backend, int? SegmentWaitMs = null, int RefinementMessages = 1)
{
    public string EdgeBundle => SplitModelBundle.SideDirectory(Entropic!, BundleSide.Edge);
    public string ServerBundle => SplitModelBundle.SideDirectory(Entropic!, BundleSide.Server);
}

/// <summary>The options behind <see cref="EdgeSettings"/>.</summary>
internal sealed class EdgeOptions
{
    private readonly Option<string> _data = CommonOptions.Data(CommonOptions.SampleDirectory);
    private readonly Option<string> _teacher = CommonOptions.Teacher();
    private readonly Option<string?> _entropic = new("--entropic")
    {
        Description = "Entropic split model: a folder with edge/ and server/ bundles (default: the shipped one, if any).",
        DefaultValueFactory = _ => Directory.Exists(CommonOptions.DefaultEntropic) ? CommonOptions.DefaultEntropic : null,
    };
    private readonly Option<bool> _featureSplit = new("--feature-split")
    {
        Description = "Send the teacher's feature at --split with --codec instead of an entropic latent.",
    };
    private readonly Option<uint?> _rate = new("--rate") { Description = "Rate level of the entropic model (0 = lowest rate; default: the model's default level)." };
    private readonly Option<string> _split = new("--split")
    {
        Description = "Stage after which the model is cut.",
        DefaultValueFactory = _ => "stage2",
    };
    private readonly Option<string> _codec = new("--codec")
    {
        Description = "Feature codec: affine8-lz4 (8-bit + LZ4) or float32.",
        DefaultValueFactory = _ => "affine8-lz4",
    };
    private readonly Option<int> _count = new("--count") { Description = "Images to send (0 = all)." };
    private readonly Option<int> _window = new("--window") { Description = "Unanswered frames allowed in flight.", DefaultValueFactory = _ => 16 };
    private readonly Option<int> _show = new("--show") { Description = "Predictions to print before the summary.", DefaultValueFactory = _ => 10 };
    private readonly Option<int> _threads = CommonOptions.Threads();
    private readonly Option<bool> _json = CommonOptions.Json();
    private readonly Option<string?> _images = new("--images") { Description = "A folder of PNG/JPEG images (class-named subfolders give labels) instead of --data." };
    private readonly Option<double?> _fps = new("--fps") { Description = "Act as a camera: capture this many frames per second (default: as fast as the window allows)." };
    private readonly Option<double> _seconds = CommonOptions.Seconds(0);
    private readonly Option<int> _deadline = CommonOptions.DeadlineMs(1000);
    private readonly Option<bool> _adaptive = new("--adaptive") { Description = "Pick each frame's rate level from the measured link (entropic model)." };
    private readonly Option<ModelBackend> _backend = new("--backend")
    {
        Description = "What runs the entropic model's edge part: Auto (ONNX Runtime when the bundle has ONNX exports), Torch or OnnxRuntime.",
        DefaultValueFactory = _ => ModelBackend.Auto,
    };
    private readonly Option<int?> _segments = new("--segments")
    {
        Description = "Embedded (variable-rate) model: send each frame as its base, then its refinements (see --refinement-messages); the server answers this many ms after the base at the latest, from the segments that arrived.",
    };
    private readonly Option<int> _refinementMessages = CommonOptions.RefinementMessages();
    private readonly Option<double?> _tau = new("--tau") { Description = "Early exit: answer on the edge when the early-exit head's confidence reaches τ (entropic model with exit heads)." };

    public EdgeOptions()
    {
        _split.AcceptOnlyFromAmong("stem", "stage1", "stage2", "stage3");
        _codec.AcceptOnlyFromAmong("affine8-lz4", "float32");
    }

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _data, _teacher, _entropic, _featureSplit, _rate, _split, _codec, _count, _window, _show, _threads, _json, _images, _fps, _seconds, _deadline, _adaptive, _tau, _backend, _segments, _refinementMessages })
        {
            command.Options.Add(option);
        }
    }

    public EdgeSettings Read(ParseResult result) => new(
        result.GetValue(_data)!,
        result.GetValue(_teacher)!,
        result.GetValue(_featureSplit) ? null : result.GetValue(_entropic),
        result.GetValue(_rate),
        result.GetValue(_split)!,
        result.GetValue(_codec) == "float32" ? CodecId.RawFloat32 : CodecId.Affine8Lz4,
        result.GetValue(_count),
        result.GetValue(_window),
        result.GetValue(_show),
        result.GetValue(_threads),
        result.GetValue(_json),
        result.GetValue(_images),
        result.GetValue(_fps),
        result.GetValue(_seconds) is > 0 and var seconds ? seconds : null,
        result.GetValue(_deadline),
        result.GetValue(_adaptive),
        result.GetValue(_tau),
        result.GetValue(_backend),
        result.GetValue(_segments),
        result.GetValue(_refinementMessages));
}
