using System.CommandLine;

namespace SplitNet.Cli.Commands;

internal static class BenchCommands
{
    public static Command Create() => new("bench", "Bench.");
}
