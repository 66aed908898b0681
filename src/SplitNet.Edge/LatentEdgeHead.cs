using SplitNet.Contracts.V1;
using SplitNet.Models.Split;

namespace SplitNet.Edge;

/// <summary>
/// The edge side of a split model: the chosen rate level's edge part, then that level's entropy
/// model (<see cref="Codec.Entropy.EntropyModel.Compress(ReadOnlySpan{int})"/>), and the level's
/// early exit where it has one. Works for any split model; for an embedded one
/// (<see cref="SplitModel.IsEmbedded"/>) a frame also says where each of its segments ends, so a
/// lower level is a cut of it. Not thread-safe.
/// </summary>
public sealed class LatentEdgeHead : IFrameEncoder
{
    private readonly SplitModel _model;
    private readonly IEarlyExit?[] _exits;
    private uint _rateLevel;

    /// <param name="model">The edge side of a split model (<see cref="Models.Bundles.BundleSide.Edge"/>).</param>
    /// <param name="exits">Early exits by level (null entries where a level has none).</param>
    public LatentEdgeHead(SplitModel model, uint rateLevel = 0, IReadOnlyList<IEarlyExit?>? exits = null)
    {
        if (model.Levels.Any(l => l.Edge is null))
        {
            throw new ArgumentException($"{model.Directory}: not an edge bundle.", nameof(model));
        }
        _model = model;
        _exits = [.. model.Levels.Select(l => exits?.ElementAtOrDefault(l.Level))];
        RateLevel = rateLevel;
        Open = new StreamOpen
        {
            Identity = new LatentIdentity { ModelId = model.Id, TablesSha256 = { model.Levels.Select(l => l.Entropy.TablesSha256) } },
        };
    }

    public StreamOpen? Open { get; }
    public string ModelId => _model.Id;
    public int Levels => _model.Levels.Count;

    /// <summary>Expected coded bytes per frame at each level, from the manifest's test-set scores.</summary>
    public IReadOnlyList<double> LevelBytes => [.. _model.Manifest.Levels.Select(l => l.Score?.CodedBytes ?? 0)];

    /// <summary>The level the next frames are coded at; may change between frames.</summary>
    public uint RateLevel
    {
        get => _rateLevel;
        set
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(value, (uint)_model.Levels.Count);
            _rateLevel = value;
        }
    }

    public EncodedFrame Encode(SplitInput input)
    {
        var level = _model.Levels[(int)_rateLevel];
        var latent = level.Edge!.Encode(input);
        int[]? segmentEnds = null;
        byte[] payload;
        if (_model.IsEmbedded)
        {
            var ladder = level.Entropy.Ladder!;
            Span<int> channels = stackalloc int[ladder.Count];
            for (int k = 0; k < channels.Length; k++)
            {
                channels[k] = ladder[k];
            }
            var ends = new int[ladder.Count];
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
            level.Entropy.CompressSegmented(latent.Symbols, channels, buffer, ends, level.Level);
            payload = buffer.WrittenSpan.ToArray();
            segmentEnds = ends[..(level.Level + 1)];
        }
        else
        {
            payload = level.Entropy.Compress(latent.Symbols);
        }
        float[]? exit = null;
        if (_exits[level.Level] is { } head)
        {
            var yHat = new float[latent.Symbols.Length];
            level.Entropy.Dequantize(latent.Symbols, yHat);
            exit = head.Probabilities(yHat, latent.Length);
        }
        return new EncodedFrame(payload, _rateLevel, exit, _model.Latent.IsVariable ? (uint)latent.Length : 0, segmentEnds);
    }
}
