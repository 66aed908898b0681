using SplitNet.Codec.Entropy;
using SplitNet.Contracts.V1;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Entropy;
using SplitNet.Models.Student;
using static TorchSharp.torch;

namespace SplitNet.Edge;

/// <summary>
/// The edge half of an entropic split model: the encoder g_a of the chosen rate level, rounding
/// around the level's medians and rANS coding with the level's shipped tables.
/// </summary>
public sealed class LatentEdgeHead : IFrameEncoder
{
    private readonly SplitModelManifest _manifest;
    private readonly EntropicStudent[] _levels;
    private readonly EarlyExitHead?[] _exits;
    private uint _rateLevel;

    /// <param name="exits">Early-exit heads by level (null entries where a level has none).</param>
    public LatentEdgeHead(SplitModelManifest manifest, EntropicStudent[] levels, uint rateLevel = 0, EarlyExitHead?[]? exits = null)
    {
        _manifest = manifest;
        _levels = levels;
        _exits = exits ?? new EarlyExitHead?[levels.Length];
        RateLevel = rateLevel;
        Open = new StreamOpen
        {
            Identity = new LatentIdentity { ModelId = manifest.ModelId, TablesSha256 = { manifest.Levels.Select(l => l.TablesSha256) } },
        };
    }

    public StreamOpen? Open { get; }
    public string ModelId => _manifest.ModelId;
    public int Levels => _levels.Length;

    /// <summary>Expected coded bytes per frame at each level, from the manifest's test-set scores.</summary>
    public IReadOnlyList<double> LevelBytes => [.. _manifest.Levels.Select(l => l.Score?.CodedBytes ?? 0)];

    /// <summary>The level the next frames are coded at; may change between frames.</summary>
    public uint RateLevel
    {
        get => _rateLevel;
        set
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(value, (uint)_levels.Length);
            _rateLevel = value;
        }
    }

    public EncodedFrame Encode(ReadOnlySpan<byte> pixels)
    {
        var level = _rateLevel;
        var student = _levels[level];
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var y = student.Encoder.call(ImageTensors.Single(pixels, FashionMnist.Height, FashionMnist.Width));
        var symbols = student.Bottleneck.Quantize(y, QuantizationMode.Symbols).data<int>().ToArray();
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
        LatentCoder.Encode(_manifest.Stream, symbols, StudentConfig.LatentSize * StudentConfig.LatentSize, student.Bottleneck.Table, buffer);
        float[]? exit = _exits[level] is { } head
            ? nn.functional.softmax(head.call(student.Bottleneck.Quantize(y, QuantizationMode.Dequantize)), 1).data<float>().ToArray()
            : null;
        return new EncodedFrame(buffer.WrittenSpan.ToArray(), level, exit);
    }
}
