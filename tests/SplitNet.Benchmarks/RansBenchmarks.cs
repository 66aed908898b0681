using System.Buffers;
using BenchmarkDotNet.Attributes;
using K4os.Compression.LZ4;
using SplitNet.Codec.Entropy;

namespace SplitNet.Benchmarks;

/// <summary>
/// rANS encode and decode (CompressAI-compatible and compact streams) of one latent-sized block of Laplace-distributed symbols (16 channels
/// of 4,096 symbols), with LZ4 on the same symbols as bytes for reference. Throughput in symbols
/// per second is 65,536 / mean time.
/// </summary>
[MemoryDiagnoser]
public class RansBenchmarks
{
    private const int Channels = 16;
    private const int PerChannel = 4096;
    private CdfTable _table = null!;
    private int[] _symbols = null!;
    private int[] _decoded = null!;
    private byte[] _stream = null!;
    private byte[] _compact = null!;
    private byte[] _bytes = null!;
    private byte[] _lz4 = null!;
    private byte[] _lz4Target = null!;
    private ArrayBufferWriter<byte> _output = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var cdfs = new List<int[]>();
        var offsets = new List<int>();
        _symbols = new int[Channels * PerChannel];
        for (int c = 0; c < Channels; c++)
        {
            double b = 0.3 + 0.2 * c;
            const int half = 20;
            var pmf = new float[2 * half + 2];
            for (int k = -half; k <= half; k++)
            {
                pmf[k + half] = (float)Math.Exp(-Math.Abs(k) / b);
            }
            var sum = pmf.Sum();
            for (int k = 0; k < pmf.Length - 1; k++)
            {
                pmf[k] /= sum;
            }
            pmf[^1] = 1e-6f;
            cdfs.Add(QuantizedCdf.FromPmf(pmf));
            offsets.Add(-half);
            for (int i = 0; i < PerChannel; i++)
            {
                // Inverse-CDF sample of a discrete Laplace.
                double u = random.NextDouble() - 0.5;
                _symbols[c * PerChannel + i] = (int)Math.Round(-b * Math.Sign(u) * Math.Log(1 - 2 * Math.Abs(u)));
            }
        }
        _table = new CdfTable(cdfs, offsets);
        _decoded = new int[_symbols.Length];
        _output = new ArrayBufferWriter<byte>(1 << 20);
        Rans64.Encode(_symbols, PerChannel, _table, _output);
        _stream = _output.WrittenSpan.ToArray();
        _output.ResetWrittenCount();
        RansByte.Encode(_symbols, PerChannel, _table, _output);
        _compact = _output.WrittenSpan.ToArray();
        _bytes = _symbols.Select(s => (byte)(s + 128)).ToArray();
        _lz4Target = new byte[LZ4Codec.MaximumOutputSize(_bytes.Length)];
        _lz4 = _lz4Target.AsSpan(0, LZ4Codec.Encode(_bytes, _lz4Target)).ToArray();
    }

    [Benchmark(Baseline = true)]
    public int RansEncode()
    {
        _output.ResetWrittenCount();
        return Rans64.Encode(_symbols, PerChannel, _table, _output);
    }

    [Benchmark]
    public bool RansDecode() => Rans64.TryDecode(_stream, PerChannel, _table, _decoded, out _);

    [Benchmark]
    public int CompactEncode()
    {
        _output.ResetWrittenCount();
        return RansByte.Encode(_symbols, PerChannel, _table, _output);
    }

    [Benchmark]
    public bool CompactDecode() => RansByte.TryDecode(_compact, PerChannel, _table, _decoded, out _);

    [Benchmark]
    public int Lz4Encode() => LZ4Codec.Encode(_bytes, _lz4Target);

    [Benchmark]
    public int Lz4Decode() => LZ4Codec.Decode(_lz4, _bytes);
}
