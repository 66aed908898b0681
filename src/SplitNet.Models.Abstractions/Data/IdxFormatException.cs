namespace SplitNet.Models.Data;

/// <summary>A file that should hold an IDX array (the MNIST format) is malformed.</summary>
public sealed class IdxFormatException(string path, string problem)
    : IOException($"{path}: {problem}")
{
    /// <summary>The file that was being read.</summary>
    public string Path { get; } = path;

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; } = problem;
}
