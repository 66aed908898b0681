using SplitNet.Edge;
using SplitNet.Edge.Resilience;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Models.Text;
using static TorchSharp.torch;

namespace SplitNet.Server.Tests.Text;

/// <summary>
/// all-MiniLM-L6-v2 split after layer 2 with a per-token bottleneck (seeded, untrained: these
/// tests are about the path, not the quality), served by the ordinary server: sentences of
/// different lengths at two rate levels, batched with padding, must get the embeddings the
/// parts compute alone.
/// </summary>
public sealed class TextSplitTests : FunctionalTest, IAsyncLifetime
{
    private static readonly string[] Glosses =
    [
        "a member of the genus Canis",
        "dog",
        "a spread made of liver, seasoned and cooked; pâté is often served cold",
        "the quick brown fox jumps over the lazy dog",
        "change location; move, travel, or proceed, also metaphorically",
        "an instrument",
    ];

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"splitnet-text-{Guid.NewGuid():N}");
    private TestServer _server = null!;
    private WordPieceTokenizer _tokenizer = null!;

    private string EdgeDirectory => Path.Combine(_root, "edge");
    private string ServerDirectory => Path.Combine(_root, "server");

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
        TextSplitFamily.Save("minilm-test", levels, maxTokens: 32, EdgeDirectory, ServerDirectory);
        levels.ForEach(l => l.Item1.Dispose());
        _tokenizer = new WordPieceTokenizer(MiniLmPackage.Locate().Vocabulary, maxTokens: 32);
        _server = await StartServerAsync(options =>
        {
            options.Models = [ServerDirectory];
            options.MaxBatchSize = 8;
            options.MaxQueueDelayMicroseconds = 20_000;
        });
    }

    private int[] Tokens(string text) => [.. _tokenizer.Encode(text).Select(t => (int)t)];

    [Fact]
    public async Task EdgeClient_SentencesOfManyLengthsAtTwoLevels_GetTheEmbeddingsThePartsComputeAlone()
    {
        using var edge = SplitModel.Load(EdgeDirectory, BundleSide.Edge);
        using var server = SplitModel.Load(ServerDirectory, BundleSide.Server);
        var head = new LatentEdgeHead(edge);
        var frames = new List<(EncodedFrame Frame, float[] Expected)>();
        foreach (uint level in new uint[] { 0, 1 })
        {
            head.RateLevel = level;
            foreach (var gloss in Glosses)
            {
                var tokens = Tokens(gloss);
                var frame = head.Encode(SplitInput.TokenIds(tokens));
                var yHat = new float[server.Latent.Elements(tokens.Length)];
                Assert.True(server.Levels[(int)level].Entropy.TryDecompress(frame.Payload, yHat, out var error), error);
                frames.Add((frame, server.Levels[(int)level].Server!.Run(yHat, [tokens.Length], tokens.Length).Embeddings!));
            }
        }
        await using var client = new EdgeClient(new EdgeClientOptions { Endpoints = [new Uri(_server.Url)], FrameDeadline = TimeSpan.FromSeconds(30) }, head.Open);

        var answers = await Task.WhenAll(frames.Select((f, i) => client.InferAsync((ulong)i, f.Frame))).WithTimeout(TimeSpan.FromSeconds(60));

        for (int i = 0; i < frames.Count; i++)
        {
            Assert.True(answers[i].Succeeded, answers[i].Failure);
            var embedding = answers[i].Embedding!;
            Assert.Equal(384, embedding.Length);
            double worst = embedding.Zip(frames[i].Expected, (a, e) => Math.Abs(a - e)).Max();
            Assert.True(worst < 1e-4, $"frame {i}: max difference {worst:E2}");
        }
        Assert.NotEqual(answers[0].Embedding, answers[Glosses.Length].Embedding);
    }

    [Fact]
    public void TextParts_EdgeAndPaddedServer_LeaveNoTensorAlive()
    {
        using var edge = SplitModel.Load(EdgeDirectory, BundleSide.Edge);
        using var server = SplitModel.Load(ServerDirectory, BundleSide.Server);
        var tokens = Tokens(Glosses[2]);
        var part = server.Levels[1].Server!;
        void Flat(Action run)
        {
            run();
            var before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            for (int i = 0; i < 20; i++)
            {
                run();
            }
            Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }

        Flat(() => Assert.Equal(tokens.Length, edge.Levels[1].Edge!.Encode(SplitInput.TokenIds(tokens)).Length));
        Flat(() => Assert.Equal(3 * 384, part.Run(new float[3 * server.Latent.Elements(16)], [1, 16, 9], 16).Embeddings!.Length));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }
}
