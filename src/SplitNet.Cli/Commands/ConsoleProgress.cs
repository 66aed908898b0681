using SplitNet.Training;

namespace SplitNet.Cli.Commands;

/// <summary>
/// Renders training progress on stderr: a self-rewriting line on a terminal, a line every
/// ten percent of an epoch when redirected (so logs stay readable).
/// </summary>
internal sealed class ConsoleProgress : IProgress<TrainingProgress>
{
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private int _lastDecile = -1;

    public void Report(TrainingProgress value)
    {
        if (value.TestAccuracy is { } accuracy)
        {
            Console.Error.WriteLine($"{(_interactive ? "\r" : "")}epoch {value.Epoch}/{value.Epochs}  loss {value.Loss:F4}  " +
                $"{value.ExamplesPerSecond:F0} examples/s  test accuracy {accuracy:P2}");
            _lastDecile = -1;
            return;
        }
        // Work before the first epoch (Epochs 0) shows as its detail and steps alone.
        var line = value.Epochs == 0 ? $"{value.Detail}  {value.Step}/{value.Steps}" : $"{(value.Stage > 0 ? $"stage {value.Stage} " : "")}epoch {value.Epoch}/{value.Epochs}  step {value.Step}/{value.Steps}  loss {value.Loss:F4}  {value.ExamplesPerSecond:F0} examples/s{(value.Detail.Length > 0 ? "  " + value.Detail : "")}";
        if (_interactive)
        {
            Console.Error.Write($"\r{line}   ");
            return;
        }
        int decile = value.Step * 10 / value.Steps;
        if (decile != _lastDecile)
        {
            _lastDecile = decile;
            Console.Error.WriteLine(line);
        }
    }
}
