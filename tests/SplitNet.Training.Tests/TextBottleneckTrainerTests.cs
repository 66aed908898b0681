using SplitNet.Models.Text;
using SplitNet.Training.Text;
using static TorchSharp.torch;

namespace SplitNet.Training.Tests;

public sealed class TextBottleneckTrainerTests : IDisposable
{
    private static readonly BertConfig Tiny = new(VocabSize: 40, Hidden: 16, Layers: 2, Heads: 2, Intermediate: 32, MaxPositions: 24);
    private readonly string _run = Directory.CreateTempSubdirectory("splitnet-text-run-").FullName;

    private static long[][] Sentences()
    {
        var random = new Random(3);
        return [.. Enumerable.Range(0, 24).Select(_ => (long[])[1, .. Enumerable.Range(0, random.Next(1, 12)).Select(_ => (long)random.Next(3, 40)), 2])];
    }

    private static TextBottleneckOptions Options(int epochs) => new(new TokenBottleneckConfig(Cut: 1, Channels: 4, Width: 16), CutEpochs: 2, Epochs: epochs, BatchSize: 8, LearningRate: 1e-2);

    [Fact]
    public void Train_RecordsTheCutAndEveryEpoch_AndResumesWithMoreEpochs()
    {
        manual_seed(1);
        using var bert = new BertModel(Tiny);
        var sentences = Sentences();

        var (first, once) = new TextBottleneckTrainer(bert, Options(1)).Train(sentences, _run);
        first.Dispose();
        var (bottleneck, state) = new TextBottleneckTrainer(bert, Options(3)).Train(sentences, _run);
        using var _ = bottleneck;

        Assert.Equal([(1, 1), (1, 2), (2, 1)], once.History.Select(h => (h.Stage, h.Epoch)));
        Assert.Equal([(1, 1), (1, 2), (2, 1), (2, 2), (2, 3)], state.History.Select(h => (h.Stage, h.Epoch)));
        Assert.All(state.History, h => Assert.Equal(h.Stage == 2, h.Cosine is not null));
        Assert.Equal(once.Cut.LargestDimensions, state.Cut.LargestDimensions);
        Assert.Equal(once.Cut.MedianMeanAbs, state.Cut.MedianMeanAbs);
        Assert.InRange(state.Cut.Tokens, sentences.Sum(s => s.Length), sentences.Sum(s => s.Length));
        Assert.All(state.History, h => Assert.True(h.BitsPerToken > 0 && double.IsFinite(h.Loss)));
        var score = TextBottleneckEvaluation.Evaluate(bert, bottleneck, sentences);
        Assert.InRange(score.Cosine, -1, 1.0001);
        Assert.Throws<InvalidOperationException>(() => new TextBottleneckTrainer(bert, Options(3) with { Beta = 1 }).Train(sentences, _run));
    }

    public void Dispose() => Directory.Delete(_run, recursive: true);
}
