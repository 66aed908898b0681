using System.Runtime.CompilerServices;

namespace SplitNet.Evaluation.Tests;

internal static class TorchThreads
{
    // Test tensors are tiny: one intra-op thread avoids OpenMP spin-waits fighting xUnit's threads.
    [ModuleInitializer]
    internal static void UseOneThread() => TorchSharp.torch.set_num_threads(1);
}
