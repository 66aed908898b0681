using SplitNet.Codec.Entropy;
using SplitNet.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SplitNet.Models.Entropy;

/// <summary>
/// The factorized prior of Ballé et al. (2018, appendix 6.1) as CompressAI implements it: one
/// learned univariate density per channel, whose CDF is a monotone cascade of tiny affine layers
/// with gated tanh nonlinearities.
/// </summary>
/// <remarks>
/// <code>
/// y ──► quantize (noise | round around the median) ──► ŷ
///                  │
///                  └─► P(ŷ) = c(ŷ + ½) − c(ŷ − ½),  c = σ(L(·)),  rate = Σ −log₂ P(ŷ)
/// </code>
/// State-dict names follow CompressAI ≥ 1.2.7 (<c>_matrix{k}</c>, <c>_bias{k}</c>, <c>_factor{k}</c>,
/// <c>quantiles</c>, <c>target</c>, <c>_offset</c>, <c>_quantized_cdf</c>, <c>_cdf_length</c>).
/// <see cref="Update"/> freezes the density into the integer tables the rANS coder uses.
/// </remarks>
public sealed class EntropyBottleneck : nn.Module<Tensor, (Tensor YHat, Tensor Likelihoods)>
{
    private readonly int _channels;
    private readonly Parameter[] _matrices, _biases, _factors;
    private readonly Parameter quantiles;
    private readonly Tensor target;
    private readonly LowerBound likelihood_lower_bound;
    private readonly Tensor _offset, _quantized_cdf, _cdf_length;
    private CdfTable? _table;

    public EntropyBottleneck(int channels, int[]? filters = null, double initScale = 10, double tailMass = 1e-9, double likelihoodBound = 1e-9)
        : base(nameof(EntropyBottleneck))
    {
        _channels = channels;
        filters ??= [3, 3, 3, 3];
        int[] widths = [1, .. filters, 1];
        int layers = widths.Length - 1;
        double scale = Math.Pow(initScale, 1.0 / layers);
        _matrices = new Parameter[layers];
        _biases = new Parameter[layers];
        _factors = new Parameter[layers - 1];
        using (no_grad())
        {
            for (int k = 0; k < layers; k++)
            {
                double init = Math.Log(Math.Exp(1 / scale / widths[k + 1]) - 1);
                _matrices[k] = nn.Parameter(full(channels, widths[k + 1], widths[k], init));
                _biases[k] = nn.Parameter(rand(channels, widths[k + 1], 1) - 0.5);
                if (k < layers - 1)
                {
                    _factors[k] = nn.Parameter(zeros(channels, widths[k + 1], 1));
                }
            }
            quantiles = nn.Parameter(tensor(new float[] { -(float)initScale, 0, (float)initScale }).repeat(channels, 1, 1));
        }
        var t = (float)Math.Log(2 / tailMass - 1);
        target = tensor(new[] { -t, 0, t });
        likelihood_lower_bound = new LowerBound(likelihoodBound);
        _offset = zeros(0, dtype: int32);
        _quantized_cdf = zeros(0, dtype: int32);
        _cdf_length = zeros(0, dtype: int32);
        RegisterComponents();
        for (int k = 0; k < layers; k++)
        {
            register_parameter($"_matrix{k}", _matrices[k]);
            register_parameter($"_bias{k}", _biases[k]);
            if (k < layers - 1)
            {
                register_parameter($"_factor{k}", _factors[k]);
            }
        }
    }

    public int Channels => _channels;

    /// <summary>Per-channel medians of the learned densities, shape (C).</summary>
    public Tensor Medians()
    {
        using var scope = NewDisposeScope();
        return quantiles.detach()[.., 0, 1].clone().MoveToOuterDisposeScope();
    }

    /// <summary>The frozen integer tables; throws until <see cref="Update"/> has run.</summary>
    public CdfTable Table => _table ??= ReadTable()
        ?? throw new InvalidOperationException("CDF tables are not initialised; call EntropyBottleneck.Update() first.");

    /// <summary>Training forward: noisy latent when training, rounded around the medians otherwise, and its likelihoods.</summary>
    public override (Tensor YHat, Tensor Likelihoods) forward(Tensor y) =>
        Forward(y, training ? QuantizationMode.Noise : QuantizationMode.Dequantize);

    /// <summary>Quantizes <paramref name="y"/> (N, C, H, W) with <paramref name="mode"/> and returns ŷ and P(ŷ).</summary>
    public (Tensor YHat, Tensor Likelihoods) Forward(Tensor y, QuantizationMode mode)
    {
        using var scope = NewDisposeScope();
        var yHat = Quantize(y, mode);
        var likelihoods = likelihood_lower_bound.call(Likelihood(yHat.to(float32)));
        return (yHat.MoveToOuterDisposeScope(), likelihoods.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Rounds or perturbs <paramref name="y"/>; <see cref="QuantizationMode.Symbols"/> gives int32.
    /// Rounding is on a grid of <paramref name="step"/> around the medians (a gain of 1/step before
    /// it); the coder's tables are for step 1, finer grids are for measuring what one would buy.
    /// </summary>
    public Tensor Quantize(Tensor y, QuantizationMode mode, double step = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(step);
        using var scope = NewDisposeScope();
        Tensor result;
        if (mode == QuantizationMode.Noise)
        {
            result = y + (rand_like(y) - 0.5);
        }
        else
        {
            var medians = Medians().view(1, -1, 1, 1);
            // The coder's grid, step 1, costs no Scalar and no scaling.
            using var grid = step == 1 ? null : step.ToScalar();
            var symbols = (grid is null ? y - medians : (y - medians).div(grid)).round();
            result = mode == QuantizationMode.Symbols ? symbols.to(int32)
                : (grid is null ? symbols : symbols.mul(grid)).add(medians, Alpha.One);
        }
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Auxiliary loss that moves the quantiles to the tail_mass/2, ½ and 1 − tail_mass/2 points
    /// of each density; the density parameters get no gradient from it.
    /// </summary>
    public Tensor AuxLoss()
    {
        using var scope = NewDisposeScope();
        var logits = LogitsCumulative(quantiles, stopGradient: true);
        return (logits - target).abs().sum().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Freezes the densities into integer CDF tables (CompressAI's <c>update()</c>): for each
    /// channel, the pmf at the median-shifted integers between the quantiles plus an escape bin
    /// for the tails, quantized to 16 bits. Does nothing if tables exist, unless <paramref name="force"/>.
    /// </summary>
    /// <returns>True when the tables were (re)built.</returns>
    public bool Update(bool force = false)
    {
        if (_offset.numel() > 0 && !force)
        {
            return false;
        }
        using var mode = no_grad();
        using var scope = NewDisposeScope();
        var q = quantiles.detach()[.., 0, ..];
        var medians = q[.., 1];
        var minima = (medians - q[.., 0]).ceil().clamp_min(0).to(int32);
        var maxima = (q[.., 2] - medians).ceil().clamp_min(0).to(int32);
        var pmfStart = medians - minima;
        var pmfLength = maxima + minima + 1;
        int maxLength = pmfLength.max().item<int>();
        var samples = arange(maxLength, dtype: float32).view(1, 1, -1) + pmfStart.view(-1, 1, 1);
        var lower = LogitsCumulative(samples - 0.5, stopGradient: true);
        var upper = LogitsCumulative(samples + 0.5, stopGradient: true);
        var pmf = SignedDifference(lower, upper)[.., 0, ..].contiguous();
        // CompressAI's quirk, kept for identical tables: the upper tail is measured at the end of
        // the longest table, not each channel's own.
        var tail = (sigmoid(lower[.., 0, 0]) + sigmoid(-upper[.., 0, -1])).contiguous();

        var pmfValues = pmf.data<float>().ToArray();
        var tailValues = tail.data<float>().ToArray();
        var lengths = pmfLength.data<int>().ToArray();
        var cdfs = new int[_channels][];
        var offsets = new int[_channels];
        var flat = new int[_channels * (maxLength + 2)];
        for (int c = 0; c < _channels; c++)
        {
            var probabilities = new float[lengths[c] + 1];
            pmfValues.AsSpan(c * maxLength, lengths[c]).CopyTo(probabilities);
            probabilities[^1] = tailValues[c];
            cdfs[c] = QuantizedCdf.FromPmf(probabilities);
            cdfs[c].CopyTo(flat, c * (maxLength + 2));
        }
        var minimaValues = minima.data<int>().ToArray();
        for (int c = 0; c < _channels; c++)
        {
            offsets[c] = -minimaValues[c];
        }
        // set_ swaps the storage of the registered buffers, so their state-dict entries follow.
        _offset.set_(tensor(offsets));
        _quantized_cdf.set_(tensor(flat, [_channels, maxLength + 2]));
        _cdf_length.set_((pmfLength + 2).to(int32));
        _table = new CdfTable(cdfs, offsets);
        return true;
    }

    /// <summary>Shape of the <c>_quantized_cdf</c> buffer, for <see cref="PrepareTables"/> on another instance.</summary>
    public long[] QuantizedCdfShape => _quantized_cdf.shape;

    /// <summary>
    /// Gives the table buffers the shapes they have in a checkpoint about to be loaded (tables are
    /// sized by <see cref="Update"/>, so a fresh module cannot hold them otherwise).
    /// </summary>
    public void PrepareTables(long[] quantizedCdfShape)
    {
        _table = null;
        if (quantizedCdfShape.Length != 2 || quantizedCdfShape[0] != _channels)
        {
            throw new InvalidDataException($"_quantized_cdf of shape [{string.Join(", ", quantizedCdfShape)}] does not fit {_channels} channels.");
        }
        _offset.set_(zeros(_channels, dtype: int32));
        _cdf_length.set_(zeros(_channels, dtype: int32));
        _quantized_cdf.set_(zeros(quantizedCdfShape, dtype: int32));
    }

    /// <summary>
    /// The frozen entropy model as both ends use it: tables, medians (copied out of the
    /// parameters) and <paramref name="format"/>. Throws until <see cref="Update"/> has run.
    /// </summary>
    public EntropyModel Model(LatentStream format = LatentStream.CompressAI)
    {
        var table = Table;
        using var mode = no_grad();
        using var scope = NewDisposeScope();
        return new EntropyModel(table, quantiles.detach()[.., 0, 1].data<float>().ToArray(), format);
    }

    /// <summary>Entropy-codes each image of <paramref name="y"/> (N, C, H, W) into one stream, through <see cref="EntropyModel.Compress(ReadOnlySpan{int})"/>.</summary>
    public byte[][] Compress(Tensor y, LatentStream format = LatentStream.CompressAI) => Compress(y, Model(format));

    /// <summary>Entropy-codes each image of <paramref name="y"/> with <paramref name="model"/> (this model, or one of its rungs).</summary>
    public byte[][] Compress(Tensor y, EntropyModel model)
    {
        using var mode = no_grad();
        using var scope = NewDisposeScope();
        var symbols = Quantize(y, QuantizationMode.Symbols).contiguous();
        int n = (int)y.shape[0], perImage = (int)(symbols.numel() / n);
        var all = symbols.data<int>().ToArray();
        var strings = new byte[n][];
        for (int i = 0; i < n; i++)
        {
            strings[i] = model.Compress(all.AsSpan(i * perImage, perImage));
        }
        return strings;
    }

    /// <summary>Decodes streams from <see cref="Compress"/> into ŷ of shape (N, C, H, W), through <see cref="EntropyModel.TryDecompress"/>.</summary>
    /// <exception cref="InvalidDataException">A stream is corrupt.</exception>
    public Tensor Decompress(IReadOnlyList<byte[]> strings, int height, int width, LatentStream format = LatentStream.CompressAI) =>
        Decompress(strings, height, width, Model(format));

    /// <summary>Decodes streams coded with <paramref name="model"/> (this model, or one of its rungs) into ŷ of shape (N, C, H, W).</summary>
    /// <exception cref="InvalidDataException">A stream is corrupt.</exception>
    public Tensor Decompress(IReadOnlyList<byte[]> strings, int height, int width, EntropyModel model)
    {
        int perImage = _channels * height * width;
        var yHat = new float[strings.Count * perImage];
        for (int i = 0; i < strings.Count; i++)
        {
            if (!model.TryDecompress(strings[i], yHat.AsSpan(i * perImage, perImage), out var error))
            {
                throw new InvalidDataException($"latent stream {i}: {error}");
            }
        }
        return tensor(yHat, [strings.Count, _channels, height, width]);
    }

    private CdfTable? ReadTable()
    {
        if (_offset.numel() == 0)
        {
            return null;
        }
        var offsets = _offset.data<int>().ToArray();
        var lengths = _cdf_length.data<int>().ToArray();
        var flat = _quantized_cdf.contiguous().data<int>().ToArray();
        int stride = (int)_quantized_cdf.shape[1];
        var cdfs = new int[_channels][];
        for (int c = 0; c < _channels; c++)
        {
            cdfs[c] = flat.AsSpan(c * stride, lengths[c]).ToArray();
        }
        return new CdfTable(cdfs, offsets);
    }

    /// <summary>
    /// P(ŷ) of a latent quantized on a grid of <paramref name="step"/> around the medians (a gain
    /// of 1/step before rounding): c(ŷ + step/2) − c(ŷ − step/2) under the learned densities.
    /// </summary>
    public Tensor Likelihood(Tensor values, double step = 1)
    {
        using var scope = NewDisposeScope();
        var shape = values.shape;
        // (N, C, H, W) → (C, 1, N·H·W): one batched cascade per channel.
        var x = values.transpose(0, 1).reshape(_channels, 1, -1);
        var lower = LogitsCumulative(x - step / 2, stopGradient: false);
        var upper = LogitsCumulative(x + step / 2, stopGradient: false);
        var likelihood = SignedDifference(lower, upper);
        return likelihood.reshape(_channels, shape[0], shape[2], shape[3]).transpose(0, 1).MoveToOuterDisposeScope();
    }

    // σ(upper) − σ(lower), evaluated in the tail where it does not cancel (the sign trick).
    private static Tensor SignedDifference(Tensor lower, Tensor upper)
    {
        using var scope = NewDisposeScope();
        var sign = (lower + upper).sign().neg().detach();
        return (sigmoid(sign * upper) - sigmoid(sign * lower)).abs().MoveToOuterDisposeScope();
    }

    private Tensor LogitsCumulative(Tensor x, bool stopGradient)
    {
        using var scope = NewDisposeScope();
        var logits = x;
        for (int k = 0; k < _matrices.Length; k++)
        {
            Tensor matrix = _matrices[k], bias = _biases[k];
            if (stopGradient)
            {
                matrix = matrix.detach();
                bias = bias.detach();
            }
            logits = nn.functional.softplus(matrix).matmul(logits) + bias;
            if (k < _factors.Length)
            {
                Tensor factor = _factors[k];
                if (stopGradient)
                {
                    factor = factor.detach();
                }
                logits = logits + factor.tanh() * logits.tanh();
            }
        }
        return logits.MoveToOuterDisposeScope();
    }
}
