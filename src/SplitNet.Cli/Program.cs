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
return await root.Parse(args).InvokeAsync();
