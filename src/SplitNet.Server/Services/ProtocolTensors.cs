using System.Buffers.Binary;
using Grpc.Core;
using SplitNet.Contracts.Inference;
using SplitNet.Server.Inference;

namespace SplitNet.Server.Services;

/// <summary>Reads the frames and parameters of an Open Inference Protocol request.</summary>
internal static class ProtocolTensors
{
    /// <summary>
    /// The elements of the BYTES input <paramref name="name"/>, from <c>raw_input_contents</c>
    /// (each element a 4-byte little-endian length and its bytes) or typed <c>bytes_contents</c>.
    /// </summary>
    public static IReadOnlyList<ReadOnlyMemory<byte>> ReadFrames(ModelInferRequest request, string name)
    {
        if (request.Inputs.Count != 1 || request.Inputs[0].Name != name)
        {
            throw new FrameException(StatusCode.InvalidArgument,
                $"this model takes one input '{name}' (BYTES); the request has [{string.Join(", ", request.Inputs.Select(i => $"'{i.Name}'"))}]");
        }
        var input = request.Inputs[0];
        if (input.Datatype != "BYTES")
        {
            throw new FrameException(StatusCode.InvalidArgument, $"input '{name}' must be BYTES, not {input.Datatype}");
        }
        long elements = input.Shape.Aggregate(1L, (a, d) => a * d);
        if (input.Shape.Count is < 1 or > 2 || (input.Shape.Count == 2 && input.Shape[1] != 1) || elements < 1)
        {
            throw new FrameException(StatusCode.InvalidArgument, $"input '{name}' has shape [{string.Join(",", input.Shape)}]; expected [batch, 1] or [batch]");
        }
        List<ReadOnlyMemory<byte>> frames;
        if (request.RawInputContents.Count > 0)
        {
            if (input.Contents is not null)
            {
                throw new FrameException(StatusCode.InvalidArgument, "an input is given both raw and typed");
            }
            frames = SplitRaw(request.RawInputContents[0].Memory, name);
        }
        else
        {
            frames = [.. (input.Contents?.BytesContents ?? []).Select(b => b.Memory)];
        }
        if (frames.Count != elements)
        {
            throw new FrameException(StatusCode.InvalidArgument, $"input '{name}' has shape [{string.Join(",", input.Shape)}] but carries {frames.Count} elements");
        }
        return frames;
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

    private static List<ReadOnlyMemory<byte>> SplitRaw(ReadOnlyMemory<byte> raw, string name)
    {
        var frames = new List<ReadOnlyMemory<byte>>();
        while (raw.Length > 0)
        {
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
