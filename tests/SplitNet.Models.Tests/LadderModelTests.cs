using SplitNet.Codec.Entropy;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Split;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using static TorchSharp.torch;

namespace SplitNet.Models.Tests;

/// <summary>One variable-rate student as a split model: a level per rung, one student per side, each level a prefix of the same stream.</summary>
[Collection(nameof(TorchCollection))]
public sealed class LadderModelTests : IDisposable
{
    private static readonly TeacherConfig Teacher = new([8, 16, 32], 1, 10);
    private static readonly StudentConfig Architecture = new(4, 8, 8);
    private static readonly int[] Ladder = [1, 2, 4];
    private readonly string _root = Directory.CreateTempSubdirectory("splitnet-ladder-").FullName;

    private string Edge => Path.Combine(_root, "edge");
    private string Server => Path.Combine(_root, "server");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private EntropicStudent Save(int seed)
    {
        random.manual_seed(seed);
        var student = new EntropicStudent(Architecture, Teacher);
        student.eval();
        student.Bottleneck.Update();
        TorchBundles.SaveLadder(student, Ladder, [0.004, 0.002, 0.001], [null, null, null], new SplitModelManifest
        {
            ModelId = "tiny-ladder",
            TeacherModelId = "tiny",
            Teacher = Teacher,
            Stream = LatentStream.Compact,
            Labels = FashionMnist.Labels,
            Normalization = [FashionMnist.Mean, FashionMnist.Std],
            Levels = [],
        }, Edge, Server);
        return student;
    }

    private static byte[] Image(int seed) => [.. Enumerable.Range(0, 28 * 28).Select(i => (byte)((i * 7 + seed * 31) % 256))];

    [Fact]
    public void Load_EveryRung_IsAPrefixOfOneStream_AndTheServerAnswersAsTheStudentOnTheMaskedLatent()
    {
        using var student = Save(1);
        using var edge = SplitModel.Load(Edge, BundleSide.Edge, TorchFamilies.All);
        using var server = SplitModel.Load(Server, BundleSide.Server, TorchFamilies.All);

        Assert.Equal(Ladder.Length, edge.Levels.Count);
        Assert.Single(Directory.GetFiles(Edge, "*.safetensors"));
        Assert.Same(((StudentEdgePart)edge.Levels[0].Edge!).Student, ((StudentEdgePart)edge.Levels[2].Edge!).Student);
        Assert.Same(((StudentServerPart)server.Levels[0].Server!).Student, ((StudentServerPart)server.Levels[1].Server!).Student);
        var symbols = edge.Levels[0].Edge!.Encode(Image(3)).Symbols;
        var top = edge.Levels[^1].Entropy.Compress(symbols);
        for (int level = 0; level < Ladder.Length; level++)
        {
            var stream = edge.Levels[level].Entropy.Compress(symbols);
            var yHat = new float[symbols.Length];
            Assert.Equal(top.AsSpan(0, stream.Length).ToArray(), stream);
            Assert.True(server.Levels[level].Entropy.TryDecompress(stream, yHat, out var error), error);
            var probabilities = server.Levels[level].Server!.Run(yHat, [7], 7).Probabilities!;

            using var mode = inference_mode();
            using var masked = tensor(yHat, [1, 4, 7, 7]);
            Assert.Equal(0, masked[.., Ladder[level]..].abs().sum().item<float>());
            using var expected = nn.functional.softmax(student.Classify(masked), 1);
            Assert.Equal(expected.data<float>().ToArray(), probabilities, (a, b) => Math.Abs(a - b) < 1e-5f);
        }
    }

    [Fact]
    public void Levels_EncodeAndRunAtEveryRung_LeaveNoTensorAlive_AndAReloadGetsAFreshStudent()
    {
        Save(2).Dispose();
        for (int load = 0; load < 2; load++)
        {
            using var edge = SplitModel.Load(Edge, BundleSide.Edge, TorchFamilies.All);
            using var server = SplitModel.Load(Server, BundleSide.Server, TorchFamilies.All);
            void Round()
            {
                foreach (var level in edge.Levels)
                {
                    var symbols = level.Edge!.Encode(Image(5)).Symbols;
                    var yHat = new float[symbols.Length];
                    Assert.True(server.Levels[level.Level].Entropy.TryDecompress(level.Entropy.Compress(symbols), yHat, out _));
                    Assert.Equal(10, server.Levels[level.Level].Server!.Run(yHat, [7], 7).Probabilities!.Length);
                }
            }
            Round();
            var before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            for (int i = 0; i < 10; i++)
            {
                Round();
            }
            Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }
    }

    [Fact]
    public void TorchSplitModel_LoadsOneStudentASide_AndEveryLevelCodesItsRungsPrefix()
    {
        using var student = Save(3);
        using var model = TorchSplitModel.Load(_root);

        Assert.True(model.IsLadder);
        Assert.Equal([0.004, 0.002, 0.001], model.Manifest.Levels.Select(l => l.Beta));
        Assert.All(model.Levels, level => Assert.Same(model.Levels[0].Edge, level.Edge));
        Assert.All(model.Levels, level => Assert.Same(model.Levels[0].Server, level.Server));
        Assert.Equal(Ladder, model.Levels.Select(level => level.Entropy(level.Server, LatentStream.Compact).SentChannels));
        Assert.All(model.Levels, level => Assert.Equal(level.Level, level.Entropy(level.Edge, LatentStream.CompressAI).Rung));
    }
}
