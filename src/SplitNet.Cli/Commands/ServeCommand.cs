using System.CommandLine;

namespace SplitNet.Cli.Commands;

internal static class ServeCommand
{
    public static Command Create() => new("serve", "Serve.");
}
