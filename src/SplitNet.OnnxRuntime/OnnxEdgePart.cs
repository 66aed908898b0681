using Microsoft.ML.OnnxRuntime;
using SplitNet.Codec;
using SplitNet.Models.Split;

namespace SplitNet.OnnxRuntime;

/// <summary>An exported edge part run by ONNX Runtime: one image or token sequence → the latent's integer symbols.</summary>
internal sealed class OnnxEdgePart : IEdgePart
{
    private readonly IDisposable _lease;
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly long[] _imageShape = [];
    private readonly string _inputName;

    public OnnxEdgePart(InferenceSession session, IDisposable lease, string path, InputKind input, LatentShape latent)
    {
        _lease = lease;
        _session = session;
        Input = input;
        Latent = latent;
        _inputName = input == InputKind.Image ? PartTensors.Pixels : PartTensors.InputIds;
        OnnxGraphContract.Require(_session, path, [_inputName], [PartTensors.Symbols]);
        if (input == InputKind.Image)
        {
            _imageShape = [1, .. _session.InputMetadata[_inputName].Dimensions.Skip(1).Select(d => (long)d)];
            if (_imageShape.Length != 4 || _imageShape.Skip(1).Any(d => d <= 0))
            {
                throw new InvalidDataException($"{path}: input '{_inputName}' must be (N, C, H, W) with fixed C, H and W, not [{string.Join(", ", _session.InputMetadata[_inputName].Dimensions)}].");
            }
        }
    }

    public InputKind Input { get; }
    public LatentShape Latent { get; }

    public EdgeLatent Encode(SplitInput input)
    {
        input.Expect(Input);
        using var value = Input == InputKind.Image ? Pixels(input.Pixels) : Tokens(input.Tokens, out _);
        int length = Input == InputKind.Image ? Latent.MaxLength : (int)value.GetTensorTypeAndShape().Shape[1];
        using var outputs = _session.Run(_run, [_inputName], [value], [PartTensors.Symbols]);
        var symbols = outputs[0].GetTensorDataAsSpan<int>();
        if (symbols.Length != Latent.Elements(length))
        {
            throw new InvalidOperationException($"the edge graph gave {symbols.Length} symbols, not the {Latent.Elements(length)} of latent {Latent}.");
        }
        return new EdgeLatent(symbols.ToArray(), length);
    }

    private OrtValue Pixels(ReadOnlySpan<byte> pixels)
    {
        long expected = _imageShape[1] * _imageShape[2] * _imageShape[3];
        if (pixels.Length != expected)
        {
            throw new ArgumentException($"{pixels.Length} pixels, but this model reads {_imageShape[1]}×{_imageShape[2]}×{_imageShape[3]} = {expected}.", nameof(pixels));
        }
        var data = new float[pixels.Length];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = pixels[i];
        }
        return OrtValue.CreateTensorValueFromMemory(data, _imageShape);
    }

    private OrtValue Tokens(ReadOnlySpan<int> tokens, out int length)
    {
        if (!Latent.TryResolve(tokens.Length, out length, out var problem))
        {
            throw new ArgumentException(problem, nameof(tokens));
        }
        var ids = new long[length];
        for (int i = 0; i < length; i++)
        {
            ids[i] = tokens[i];
        }
        return OrtValue.CreateTensorValueFromMemory(ids, [1, length]);
    }

    public void Dispose()
    {
        _run.Dispose();
        _lease.Dispose();
    }
}
