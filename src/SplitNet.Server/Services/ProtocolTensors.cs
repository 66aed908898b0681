using System.Buffers.Binary;
using Grpc.Core;
using SplitNet.Contracts.Inference;
using SplitNet.Server.Inference;

namespace SplitNet.Server.Services;

/// <summary>Reads the frames and parameters of an Open Inference Protocol request.</summary>
internal static class ProtocolTensors
{
    /// <summary>The optional INT32 input that gives each frame's length along a variable latent axis.</summary>
    public const string LatentLengthInput = "latent_length";

    /// <summary>
    /// The elements of the BYTES input <paramref name="name"/>, from <c>raw_input_contents</c>
    /// (each element a 4-byte little-endian length and its bytes) or typed <c>bytes_contents</c>,
    /// and, when <paramref name="lengths"/> is allowed, the INT32 input <see cref="LatentLengthInput"/>
    /// (one value per frame, raw little-endian or typed <c>int_contents</c>); 0 per frame without it.
    /// </summary>
    /// <param name="maxFrames">Most frames a request may carry; more is refused before anything is split or decoded.</param>
    public static (IReadOnlyList<ReadOnlyMemory<byte>> Frames, int[] Lengths) ReadFrames(ModelInferRequest request, string name, bool lengths, int maxFrames)
    {
        var names = request.Inputs.Select(i => i.Name).ToList();
        bool fits = names.Count >= 1 && names[0] == name && (names.Count == 1 || (lengths && names.Count == 2 && names[1] == LatentLengthInput));
        if (!fits)
        {
            throw new FrameException(StatusCode.InvalidArgument,
                $"this model takes the input '{name}' (BYTES){(lengths ? $" and '{LatentLengthInput}' (INT32)" : "")}; the request has [{string.Join(", ", names.Take(4).Select(ClientText.Echo))}{(names.Count > 4 ? ", …" : "")}]");
        }
        bool raw = request.RawInputContents.Count > 0;
        if (raw && request.RawInputContents.Count != request.Inputs.Count)
        {
            throw new FrameException(StatusCode.InvalidArgument, $"{request.RawInputContents.Count} raw contents for {request.Inputs.Count} inputs");
        }
        var input = request.Inputs[0];
        if (input.Datatype != "BYTES")
        {
            throw new FrameException(StatusCode.InvalidArgument, $"input '{name}' must be BYTES, not {ClientText.Echo(input.Datatype)}");
        }
        long elements = Elements(input);
        if (elements > maxFrames)
        {
            throw new FrameException(StatusCode.InvalidArgument, $"input '{name}' carries {elements} frames; a request carries at most {maxFrames} (SplitNet:Server:MaxFramesPerRequest)");
        }
        List<ReadOnlyMemory<byte>> frames;
        if (raw)
        {
            if (input.Contents is not null)
            {
                throw new FrameException(StatusCode.InvalidArgument, "an input is given both raw and typed");
            }
            frames = SplitRaw(request.RawInputContents[0].Memory, name, (int)elements);
        }
        else
        {
            var typed = input.Contents?.BytesContents ?? [];
            if (typed.Count != elements)
            {
                throw new FrameException(StatusCode.InvalidArgument, $"input '{name}' has shape [{string.Join(",", input.Shape)}] but carries {typed.Count} elements");
            }
            frames = [.. typed.Select(b => b.Memory)];
        }
        if (frames.Count != elements)
        {
            throw new FrameException(StatusCode.InvalidArgument, $"input '{name}' has shape [{string.Join(",", input.Shape)}] but carries {frames.Count} elements");
        }
        var declared = request.Inputs.Count == 2 ? ReadLengths(request.Inputs[1], raw ? request.RawInputContents[1].Memory : null, frames.Count) : new int[frames.Count];
        return (frames, declared);
    }

    private static long Elements(ModelInferRequest.Types.InferInputTensor input)
    {
        long elements = input.Shape.Aggregate(1L, (a, d) => a * d);
        if (input.Shape.Count is < 1 or > 2 || (input.Shape.Count == 2 && input.Shape[1] != 1) || elements < 1)
        {
            throw new FrameException(StatusCode.InvalidArgument, $"input {ClientText.Echo(input.Name)} has shape [{string.Join(",", input.Shape.Take(8))}]; expected [batch, 1] or [batch]");
        }
        return elements;
    }

    private static int[] ReadLengths(ModelInferRequest.Types.InferInputTensor input, ReadOnlyMemory<byte>? raw, int frames)
    {
        if (input.Datatype != "INT32" || Elements(input) != frames)
        {
            throw new FrameException(StatusCode.InvalidArgument, $"input '{LatentLengthInput}' must be INT32 with one value per frame ({frames})");
        }
        if (raw is { } bytes)
        {
            if (bytes.Length != frames * sizeof(int))
            {
                throw new FrameException(StatusCode.InvalidArgument, $"raw contents of '{LatentLengthInput}' hold {bytes.Length} bytes, not {frames * sizeof(int)}");
            }
            var lengths = new int[frames];
            for (int i = 0; i < frames; i++)
            {
                lengths[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.Span[(i * sizeof(int))..]);
            }
            return lengths;
        }
        var typed = input.Contents?.IntContents;
        return typed is { Count: var n } && n == frames
            ? [.. typed]
            : throw new FrameException(StatusCode.InvalidArgument, $"input '{LatentLengthInput}' carries {typed?.Count ?? 0} values for {frames} frames");
    }

    /// <summary>An int64 parameter of the request or of its input, if set.</summary>
    public static long? Int64Parameter(ModelInferRequest request, string key) =>
        Parameter(request, key) is { } p
            ? p.ParameterChoiceCase switch
            {
                InferParameter.ParameterChoiceOneofCase.Int64Param => p.Int64Param,
                InferParameter.ParameterChoiceOneofCase.Uint64Param => (long)Math.Min(p.Uint64Param, long.MaxValue),
                _ => throw new FrameException(StatusCode.InvalidArgument, $"parameter '{key}' must be an integer"),
            }
            : null;

    /// <summary>An integer parameter that must fit in 32 bits (a level, a count), if set; never truncated.</summary>
    public static int? Int32Parameter(ModelInferRequest request, string key) =>
        Int64Parameter(request, key) is { } value
            ? value is >= int.MinValue and <= int.MaxValue
                ? (int)value
                : throw new FrameException(StatusCode.InvalidArgument, $"parameter '{key}' is {value}, outside 32 bits")
            : null;

    /// <summary>A string parameter of the request or of its input, if set.</summary>
    public static string? StringParameter(ModelInferRequest request, string key) =>
        Parameter(request, key) is { } p
            ? p.ParameterChoiceCase == InferParameter.ParameterChoiceOneofCase.StringParam
                ? p.StringParam
                : throw new FrameException(StatusCode.InvalidArgument, $"parameter '{key}' must be a string")
            : null;

    private static InferParameter? Parameter(ModelInferRequest request, string key) =>
        request.Parameters.TryGetValue(key, out var p) ? p
        : request.Inputs.Count > 0 && request.Inputs[0].Parameters.TryGetValue(key, out p) ? p
        : null;

    // Stops at the first element past the declared count: a request's shape bounds the work it can cause.
    private static List<ReadOnlyMemory<byte>> SplitRaw(ReadOnlyMemory<byte> raw, string name, int elements)
    {
        var frames = new List<ReadOnlyMemory<byte>>(elements);
        while (raw.Length > 0)
        {
            if (frames.Count == elements)
            {
                throw new FrameException(StatusCode.InvalidArgument, $"raw contents of '{name}' hold more than the {elements} elements its shape declares");
            }
            if (raw.Length < sizeof(uint))
            {
                throw new FrameException(StatusCode.InvalidArgument, $"raw contents of '{name}' end inside an element's 4-byte length");
            }
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(raw.Span);
            if (length > raw.Length - sizeof(uint))
            {
                throw new FrameException(StatusCode.InvalidArgument, $"raw contents of '{name}' declare a {length}-byte element but only {raw.Length - sizeof(uint)} bytes remain");
            }
            frames.Add(raw.Slice(sizeof(uint), (int)length));
            raw = raw[(sizeof(uint) + (int)length)..];
        }
        return frames;
    }
}
