using System.CommandLine;

namespace SplitNet.Cli.Commands;

internal static class EdgeCommand
{
    public static Command Create() => new("edge", "Edge.");
}
