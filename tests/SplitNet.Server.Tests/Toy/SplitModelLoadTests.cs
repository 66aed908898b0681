using SplitNet.Codec;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;

namespace SplitNet.Server.Tests.Toy;

/// <summary>Loading a split model either gives every level or fails naming the file and keeps nothing alive.</summary>
public sealed class SplitModelLoadTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"splitnet-load-{Guid.NewGuid():N}");

    private string Edge => Path.Combine(_root, "edge");

    public SplitModelLoadTests()
    {
        ToyFamily.Save("toy-load", OutputKind.Embedding, seed: 5, Edge, Path.Combine(_root, "server"));
    }

    /// <summary>Gives the edge bundle a second level whose weights hash is <paramref name="edgeSha256"/>.</summary>
    private void AddLevel(string edgeSha256)
    {
        var manifestPath = Path.Combine(Edge, SplitModelBundle.ManifestFile);
        var manifest = BundleJson.Read<SplitModelManifest>(manifestPath);
        BundleJson.Write(manifestPath, manifest with { Levels = [manifest.Levels[0], manifest.Levels[0] with { Level = 1, EdgeSha256 = edgeSha256 }] });
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Load_SecondLevelsWeightsDoNotMatchTheirHash_DisposesTheFirstAndNamesTheFile()
    {
        AddLevel(new string('0', 64));
        var family = new CountingFamily(new ToyFamily());

        var error = Assert.Throws<InvalidDataException>(() => SplitModel.Load(Edge, BundleSide.Edge, [family]));

        Assert.Contains(Path.Combine(Edge, "level0.edge.safetensors"), error.Message);
        Assert.Contains("SHA-256", error.Message);
        Assert.Equal((1, 1), (family.Loaded, family.Disposed));
    }

    [Fact]
    public void Load_TwoGoodLevels_KeepsBoth()
    {
        AddLevel(BundleJson.Sha256(Path.Combine(Edge, "level0.edge.safetensors")));
        var family = new CountingFamily(new ToyFamily());

        using (var model = SplitModel.Load(Edge, BundleSide.Edge, [family]))
        {
            Assert.Equal((2, 0), (family.Loaded, family.Disposed));
        }
        Assert.Equal(2, family.Disposed);
    }

    [Fact]
    public void Load_UnknownFamily_NamesTheManifestAndTheFamily()
    {
        var error = Assert.Throws<InvalidDataException>(() => SplitModel.Load(Edge, BundleSide.Edge, TorchFamilies.All));

        Assert.Contains(Path.Combine(Edge, "manifest.json"), error.Message);
        Assert.Contains(ToyFamily.FamilyName, error.Message);
    }

    [Fact]
    public void Load_PartWhoseLatentDisagreesWithTheManifest_IsRefusedAndDisposed()
    {
        var family = new CountingFamily(new ToyFamily(), latent: new LatentShape([3, 4], variableAxis: 1));

        var error = Assert.Throws<InvalidDataException>(() => SplitModel.Load(Edge, BundleSide.Edge, [family]));

        Assert.Contains("does not match", error.Message);
        Assert.Equal((1, 1), (family.Loaded, family.Disposed));
    }

    /// <summary>Counts the parts it hands out and their disposals; may misstate their latent.</summary>
    private sealed class CountingFamily(ISplitModelFamily inner, LatentShape? latent = null) : ISplitModelFamily
    {
        public int Loaded;
        public int Disposed;

        public string Name => inner.Name;

        public SplitLevel Load(SplitModelManifest manifest, RateLevelManifest level, BundleSide side, string weightsPath)
        {
            var loaded = inner.Load(manifest, level, side, weightsPath);
            Loaded++;
            return loaded with { Edge = new CountedPart(loaded.Edge!, latent ?? loaded.Edge!.Latent, () => Disposed++) };
        }
    }

    private sealed class CountedPart(IEdgePart inner, LatentShape latent, Action disposed) : IEdgePart
    {
        public InputKind Input => inner.Input;
        public LatentShape Latent => latent;
        public EdgeLatent Encode(SplitInput input) => inner.Encode(input);

        public void Dispose()
        {
            disposed();
            inner.Dispose();
        }
    }
}
