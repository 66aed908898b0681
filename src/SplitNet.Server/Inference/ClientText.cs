using System.Text;
using Grpc.Core;

namespace SplitNet.Server.Inference;

/// <summary>
/// What the server says back about text a client sent: identifiers are bounded at the door (length,
/// no control characters), and an error message quotes at most a short, printable prefix, so no
/// echo can outgrow a client's header limits or fill a log.
/// </summary>
internal static class ClientText
{
    /// <summary>Longest model id, input or output name the server accepts.</summary>
    public const int MaxIdentifier = 256;

    /// <summary>Characters of client text an error message quotes.</summary>
    public const int EchoLength = 48;

    /// <summary>Throws INVALID_ARGUMENT for an identifier longer than <see cref="MaxIdentifier"/> or holding a control character.</summary>
    public static string Identifier(string value, string what)
    {
        if (value.Length > MaxIdentifier)
        {
            throw new FrameException(StatusCode.InvalidArgument, $"{what} is {value.Length} characters long, more than the {MaxIdentifier} allowed ({Echo(value)})");
        }
        if (value.AsSpan().IndexOfAnyInRange('\u0000', '\u001f') >= 0 || value.AsSpan().IndexOfAnyInRange('\u007f', '\u009f') >= 0)
        {
            throw new FrameException(StatusCode.InvalidArgument, $"{what} holds a control character ({Echo(value)})");
        }
        return value;
    }

    /// <summary>A quotable form of client text: printable ASCII only, at most <see cref="EchoLength"/> characters.</summary>
    public static string Echo(string? value)
    {
        value ??= "";
        var text = new StringBuilder(Math.Min(value.Length, EchoLength) + 24).Append('\'');
        foreach (char c in value.AsSpan(0, Math.Min(value.Length, EchoLength)))
        {
            text.Append(c is >= ' ' and <= '~' and not '\'' ? c : '?');
        }
        text.Append('\'');
        return value.Length <= EchoLength ? text.ToString() : text.Append($"… ({value.Length} characters)").ToString();
    }
}
