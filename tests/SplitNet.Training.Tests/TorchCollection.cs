namespace SplitNet.Training.Tests;

/// <summary>Torch's generator is process-wide: tests that seed it run one at a time.</summary>
[CollectionDefinition(nameof(TorchCollection), DisableParallelization = true)]
public sealed class TorchCollection;
