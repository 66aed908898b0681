using System.CommandLine;

namespace SplitNet.Cli.Commands;

internal static class ExportCommands
{
    public static Command Create() => new("export", "Export.");
}
