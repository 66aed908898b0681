using SplitNet.Codec.Entropy;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Entropy;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using TorchSharp;
using static TorchSharp.torch;

namespace SplitNet.Models.Tests;

[Collection(nameof(TorchCollection))]
public sealed class SplitModelBundleTests : IDisposable
{
    private static readonly TeacherConfig Teacher = new([8, 16, 32], 1, 10);
    private static readonly StudentConfig Architecture = new(4, 8, 8);
    private readonly string _root = Directory.CreateTempSubdirectory("splitnet-split-").FullName;

    private string Edge => Path.Combine(_root, "edge");
    private string Server => Path.Combine(_root, "server");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static EntropicStudent Student(int seed)
    {
        random.manual_seed(seed);
        var student = new EntropicStudent(Architecture, Teacher);
        student.eval();
        student.Bottleneck.Update();
        return student;
    }

    private static SplitModelManifest Template() => new()
    {
        ModelId = "tiny-es",
        TeacherModelId = "tiny",
        Teacher = Teacher,
        Architecture = Architecture,
        Stream = LatentStream.Compact,
        Labels = FashionMnist.Labels,
        Normalization = [FashionMnist.Mean, FashionMnist.Std],
        Levels = [],
    };

    [Fact]
    public void Load_BothSides_SplitTheStudentExactly()
    {
        using var low = Student(1);
        using var high = Student(2);
        var manifest = TorchBundles.Save([(low, 8.0, null), (high, 1.0, null)], Template(), Edge, Server);

        var (edgeManifest, edges) = TorchBundles.Load(Edge, BundleSide.Edge);
        var (_, servers) = TorchBundles.Load(Server, BundleSide.Server);

        Assert.Equal(("tiny-es", LatentStream.Compact, Architecture), (edgeManifest.ModelId, edgeManifest.Stream, edgeManifest.Architecture));
        Assert.Equal(manifest.Levels, edgeManifest.Levels);
        Assert.Equal([low.Bottleneck.Table.Hash, high.Bottleneck.Table.Hash], manifest.Levels.Select(l => l.TablesSha256));
        using var mode = inference_mode();
        using var x = randn(3, 1, 28, 28);
        foreach (var (original, edge, server) in new[] { (low, edges[0], servers[0]), (high, edges[1], servers[1]) })
        {
            var strings = edge.Bottleneck.Compress(edge.Encoder.call(x));
            using var yHat = server.Bottleneck.Decompress(strings, StudentConfig.LatentSize, StudentConfig.LatentSize);
            using var expected = original.call(x);
            using var actual = server.Classify(yHat);
            Assert.True(actual.allclose(expected, rtol: 1e-4, atol: 1e-5));
        }
    }

    [Fact]
    public void TorchSplitModel_OfSeparateLevels_PairsEachLevelsOwnStudents_CodingWholeLatents()
    {
        using var low = Student(4);
        using var high = Student(5);
        TorchBundles.Save([(low, 8.0, null), (high, 1.0, null)], Template(), Edge, Server);

        using var model = TorchSplitModel.Load(_root);

        Assert.False(model.IsLadder);
        Assert.NotSame(model.Levels[0].Edge, model.Levels[1].Edge);
        Assert.Equal([low.Bottleneck.Table.Hash, high.Bottleneck.Table.Hash], model.Levels.Select(l => l.Entropy(l.Server, LatentStream.Compact).TablesSha256));
        Assert.All(model.Levels, l => Assert.Equal(Architecture.LatentChannels, l.Entropy(l.Edge, LatentStream.Compact).SentChannels));
    }

    [Fact]
    public void Save_EdgeFiles_HoldNoServerWeights()
    {
        using var student = Student(3);
        TorchBundles.Save([(student, 2.0, null)], Template(), Edge, Server);

        var edgeKeys = SafetensorsHeader.ReadShapes(Path.Combine(Edge, "level0.edge.safetensors")).Keys;
        var serverKeys = SafetensorsHeader.ReadShapes(Path.Combine(Server, "level0.server.safetensors")).Keys;

        Assert.Contains(edgeKeys, k => k.StartsWith("g_a.", StringComparison.Ordinal));
        Assert.DoesNotContain(edgeKeys, k => k.StartsWith("g_s.", StringComparison.Ordinal) || k.StartsWith("tail.", StringComparison.Ordinal));
        Assert.DoesNotContain(serverKeys, k => k.StartsWith("g_a.", StringComparison.Ordinal));
        Assert.Contains("entropy_bottleneck._quantized_cdf", edgeKeys);
        Assert.Contains("entropy_bottleneck._quantized_cdf", serverKeys);
    }

    [Fact]
    public void Load_ManifestDeclaringOtherTables_IsRefused()
    {
        using var student = Student(4);
        var manifest = TorchBundles.Save([(student, 2.0, null)], Template(), Edge, Server);
        var stale = manifest with { Levels = [manifest.Levels[0] with { TablesSha256 = new string('0', 64) }] };
        BundleJson.Write(Path.Combine(Server, SplitModelBundle.ManifestFile), stale);

        var error = Assert.Throws<InvalidDataException>(() => TorchBundles.Load(Server, BundleSide.Server));
        Assert.Contains("CDF tables hash", error.Message);
    }
}
