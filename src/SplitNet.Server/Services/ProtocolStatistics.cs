using SplitNet.Contracts.Inference;
using SplitNet.Server.Serving;
using Stats = SplitNet.Server.Telemetry.ModelStatistics;

namespace SplitNet.Server.Services;

/// <summary>A model version's counters as Triton's <c>ModelStatistics</c> message.</summary>
internal static class ProtocolStatistics
{
    public static ModelStatistics Describe(ServedModel model)
    {
        var stats = model.Statistics;
        var message = new ModelStatistics
        {
            Name = model.Id,
            Version = $"{model.Version}",
            LastInference = (ulong)(stats.LastInference?.ToUnixTimeMilliseconds() ?? 0),
            InferenceCount = (ulong)stats.InferenceCount,
            ExecutionCount = (ulong)stats.ExecutionCount,
            InferenceStats = new InferStatistics
            {
                Success = Duration(stats.Success),
                Fail = Duration(stats.Failure),
                Queue = Duration(stats.Queue),
                ComputeInput = new StatisticDuration(),
                ComputeInfer = Duration(stats.Compute),
                ComputeOutput = new StatisticDuration(),
                CacheHit = new StatisticDuration(),
                CacheMiss = new StatisticDuration(),
            },
        };
        foreach (var (size, compute) in stats.Batches())
        {
            message.BatchStats.Add(new InferBatchStatistics
            {
                BatchSize = (ulong)size,
                ComputeInput = new StatisticDuration(),
                ComputeInfer = Duration(compute),
                ComputeOutput = new StatisticDuration(),
            });
        }
        return message;
    }

    private static StatisticDuration Duration(Stats.Duration d) =>
        new() { Count = (ulong)d.Count, Ns = (ulong)(d.Total.Ticks * 100) };
}
