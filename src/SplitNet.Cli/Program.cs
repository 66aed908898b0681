using System.CommandLine;
using SplitNet.Cli.Commands;

var root = new RootCommand("SplitNet: split-computing inference across an edge node and a server.")
{
    DemoCommand.Create(),
    ServeCommand.Create(),
    EdgeCommand.Create(),
    TrainCommands.Create(),
    BenchCommands.Create(),
    LoadTestCommand.Create(),
    ExportCommands.Create(),
    ImportCommands.Create(),
    HealthCommand.Create(),
};
try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is InvalidDataException or NotSupportedException or FileNotFoundException or DirectoryNotFoundException)
{
    // A file or folder that is not what the command needs: its message names it and the problem.
    Console.Error.WriteLine($"splitnet: {e.Message}");
    return 1;
}
