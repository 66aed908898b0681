using System.CommandLine;

namespace SplitNet.Cli.Commands;

internal static class DemoCommand
{
    public static Command Create() => new("demo", "Demo.");
}
