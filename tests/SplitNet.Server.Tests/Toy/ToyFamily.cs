using SplitNet.Codec;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SplitNet.Server.Tests.Toy;

/// <summary>
/// A model family that exists only in the tests: a few random layers over token ids, a latent of
/// C channels per token (variable length), and an embedding and/or class probabilities out. It is
/// built entirely through the split abstraction, so serving it proves nothing else assumes images.
/// </summary>
public sealed class ToyFamily : ISplitModelFamily
{
    public const string FamilyName = "toy-tokens";
    public const int MaxTokens = 16;

    public string Name => FamilyName;

    public static LatentShape Latent(ToyConfig config) => new([config.Channels, MaxTokens], variableAxis: 1);

    public SplitLevel Load(SplitModelManifest manifest, RateLevelManifest level, BundleSide side, string weightsPath)
    {
        var config = manifest.ReadConfig<ToyConfig>();
        var tables = SafetensorsHeader.ReadShapes(weightsPath)["entropy_bottleneck._quantized_cdf"];
        if (side == BundleSide.Edge)
        {
            var edge = new ToyEdgeNet(config);
            edge.Bottleneck.PrepareTables(tables);
            edge.load_safetensors(weightsPath, strict: true);
            edge.eval();
            return new SplitLevel(level.Level, edge.Bottleneck.Model(manifest.Stream), new ToyEdgePart(edge, Latent(config)), null);
        }
        var server = new ToyServerNet(config);
        server.Bottleneck.PrepareTables(tables);
        server.load_safetensors(weightsPath, strict: true);
        server.eval();
        return new SplitLevel(level.Level, server.Bottleneck.Model(manifest.Stream), null, new ToyServerPart(server, Latent(config), manifest.Output, config));
    }

    /// <summary>Writes edge and server bundles of a seeded toy model answering with <paramref name="output"/>.</summary>
    public static void Save(string modelId, OutputKind output, int seed, string edgeDirectory, string serverDirectory)
    {
        var config = new ToyConfig(Vocabulary: 50, Width: 12, Channels: 3, EmbeddingSize: 8, Classes: 4);
        random.manual_seed(seed);
        using var edge = new ToyEdgeNet(config);
        using var server = new ToyServerNet(config);
        edge.Bottleneck.Update();
        server.Bottleneck.PrepareTables(edge.Bottleneck.QuantizedCdfShape);
        server.Bottleneck.load_state_dict(edge.Bottleneck.state_dict());
        TorchBundles.Save([new SplitLevelWeights(edge, server, edge.Bottleneck.Table.Hash, 1, null)], new SplitModelManifest
        {
            ModelId = modelId,
            Family = FamilyName,
            Input = InputKind.Tokens,
            Latent = Latent(config),
            Output = output,
            EmbeddingSize = output.HasFlag(OutputKind.Embedding) ? config.EmbeddingSize : 0,
            Stream = Codec.Entropy.LatentStream.CompressAI,
            Labels = output.HasFlag(OutputKind.Probabilities) ? ["a", "b", "c", "d"] : [],
            Config = System.Text.Json.JsonSerializer.SerializeToNode(config, BundleJson.Options)!.AsObject(),
            Levels = [],
        }, edgeDirectory, serverDirectory);
    }
}

internal sealed class ToyEdgePart(ToyEdgeNet net, LatentShape latent) : IEdgePart
{
    public InputKind Input => InputKind.Tokens;
    public LatentShape Latent { get; } = latent;

    public EdgeLatent Encode(SplitInput input)
    {
        input.Expect(InputKind.Tokens);
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var y = net.Encode(tensor(input.Tokens.ToArray().Select(t => (long)t).ToArray()));
        return new EdgeLatent(net.Bottleneck.Quantize(y, Models.Entropy.QuantizationMode.Symbols).contiguous().data<int>().ToArray(), input.Tokens.Length);
    }

    public void Dispose() => net.Dispose();
}

internal sealed class ToyServerPart(ToyServerNet net, LatentShape latent, OutputKind output, ToyConfig config) : IServerPart
{
    public LatentShape Latent { get; } = latent;
    public OutputKind Output { get; } = output;
    public int Classes => Output.HasFlag(OutputKind.Probabilities) ? config.Classes : 0;
    public int EmbeddingSize => Output.HasFlag(OutputKind.Embedding) ? config.EmbeddingSize : 0;

    public SplitOutput Run(ReadOnlySpan<float> yHat, ReadOnlySpan<int> lengths, int paddedLength)
    {
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        int n = lengths.Length;
        var x = tensor(yHat.ToArray(), [n, Latent.Channels, paddedLength]);
        var mask = arange(paddedLength).unsqueeze(0) < tensor(lengths.ToArray()).unsqueeze(1);
        var embedding = net.Embed(x, mask.to(float32));
        return new SplitOutput(
            Output.HasFlag(OutputKind.Probabilities) ? nn.functional.softmax(net.Classify(embedding), 1).data<float>().ToArray() : null,
            Output.HasFlag(OutputKind.Embedding) ? embedding.data<float>().ToArray() : null);
    }

    public void Dispose() => net.Dispose();
}
