using System.CommandLine;

namespace SplitNet.Cli.Commands;

/// <summary><c>splitnet bench ...</c>: full-dataset measurements.</summary>
internal static class BenchCommands
{
    public static Command Create() => new("bench", "Measure models: accuracy on the full dataset, compute cost.")
    {
        BenchTeacherCommand.Create(), BenchCostCommand.Create(), RateAccuracyBenchCommand.Create(), ServerBenchCommand.Create(),
        FailoverBenchCommand.Create(), BandwidthDropBenchCommand.Create(), EarlyExitBenchCommand.Create(), BatchingBenchCommand.Create(), MemoryBenchCommand.Create(), TextBenchCommand.Create(), BackendBenchCommand.Create(), FleetBenchCommand.Create(), SoakBenchCommand.Create(), BadClientsBenchCommand.Create(), UplinkBenchCommand.Create(),
    };
}
