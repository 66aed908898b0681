using SplitNet.Models.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace SplitNet.Training.Tests;

/// <summary>Small random data sets and the helpers the resume tests share.</summary>
internal static class TinyData
{
    public static LabeledImages Images(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[count * 28 * 28];
        random.NextBytes(pixels);
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = (byte)random.Next(10);
        }
        return new LabeledImages(pixels, labels, 28, 28);
    }

    /// <summary>Every parameter and buffer of <paramref name="module"/>, by name.</summary>
    public static Dictionary<string, float[]> Weights(nn.Module module) =>
        module.state_dict().Where(p => p.Value.dtype == ScalarType.Float32)
            .ToDictionary(p => p.Key, p => p.Value.data<float>().ToArray());

    /// <summary>Asserts two modules' weights are equal bit for bit.</summary>
    public static void AssertSameWeights(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, values) in expected)
        {
            Assert.True(values.AsSpan().SequenceEqual(actual[name]), $"{name} differs");
        }
    }

    /// <summary>Cancels training at its first progress report of <paramref name="epoch"/>, as a kill mid-epoch would.</summary>
    public sealed class StopIn(int epoch, int stage = 0) : IProgress<TrainingProgress>, IDisposable
    {
        private readonly CancellationTokenSource _source = new();

        public CancellationToken Token => _source.Token;

        public void Report(TrainingProgress value)
        {
            if (value.Epoch == epoch && value.Stage == stage)
            {
                _source.Cancel();
            }
        }

        public void Dispose() => _source.Dispose();
    }

    /// <summary>A fresh run folder, deleted with the test.</summary>
    public sealed class RunFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("splitnet-run-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
