using SplitNet.Models.Text;
using static TorchSharp.torch;

namespace SplitNet.Server.Tests.Text;

/// <summary>
/// A text split model of its own (all-MiniLM-L6-v2 split after layer 2, two seeded untrained
/// levels of a per-token bottleneck, a seeded category head; the tests are about paths, not
/// quality), bundled in a temporary folder and served by a server of the test's own.
/// </summary>
public abstract class TextServerTest : FunctionalTest, IAsyncLifetime
{
    protected static readonly string[] Glosses =
    [
        "a member of the genus Canis",
        "dog",
        "a spread made of liver, seasoned and cooked; pâté is often served cold",
        "the quick brown fox jumps over the lazy dog",
        "change location; move, travel, or proceed, also metaphorically",
        "an instrument",
    ];

    protected static readonly string[] Labels = ["noun.animal", "noun.artifact", "noun.food"];

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"splitnet-text-{Guid.NewGuid():N}");
    private protected TestServer Server { get; private set; } = null!;
    private WordPieceTokenizer _tokenizer = null!;

    protected string EdgeDirectory => Path.Combine(_root, "edge");
    protected string ServerDirectory => Path.Combine(_root, "server");

    public async Task InitializeAsync()
    {
        var levels = new List<(TokenBottleneck, double)>();
        foreach (int seed in new[] { 11, 12 })
        {
            manual_seed(seed);
            var bottleneck = new TokenBottleneck(BertConfig.MiniLmL6.Hidden, new TokenBottleneckConfig(Cut: 2, Channels: 8, Width: 64));
            bottleneck.Bottleneck.Update(force: true);
            levels.Add((bottleneck, seed / 1000.0));
        }
        manual_seed(13);
        using var head = nn.Linear(BertConfig.MiniLmL6.Hidden, Labels.Length);
        TextSplitFamily.Save("minilm-test", levels, maxTokens: 32, EdgeDirectory, ServerDirectory, (head, Labels));
        levels.ForEach(l => l.Item1.Dispose());
        _tokenizer = new WordPieceTokenizer(MiniLmPackage.Locate().Vocabulary, maxTokens: 32);
        Server = await StartServerAsync(options =>
        {
            options.Models = [ServerDirectory];
            options.MaxBatchSize = 8;
            options.MaxQueueDelayMicroseconds = 20_000;
        });
    }

    protected int[] Tokens(string text) => [.. _tokenizer.Encode(text).Select(t => (int)t)];

    /// <summary>Runs <paramref name="run"/> once, then 20 times more: this thread's live tensors must not grow.</summary>
    protected static void AssertNoTensorLeft(Action run)
    {
        run();
        var before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 20; i++)
        {
            run();
        }
        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }
}
