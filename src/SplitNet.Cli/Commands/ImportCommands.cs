using System.CommandLine;

namespace SplitNet.Cli.Commands;

/// <summary><c>splitnet import ...</c>: bring models trained elsewhere.</summary>
internal static class ImportCommands
{
    public static Command Create() => new("import", "Bring a model trained elsewhere: cut it into edge and server bundles.") { ImportOnnxCommand.Create() };
}
