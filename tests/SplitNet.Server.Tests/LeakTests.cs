using SplitNet.Edge;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Models.Student;
using SplitNet.Server.Serving;
using TorchSharp;

namespace SplitNet.Server.Tests;

/// <summary>Every forward on the server and the edge leaves no tensor alive behind it.</summary>
[Collection(nameof(ServerCollection))]
public sealed class LeakTests(ServerFixture server) : FunctionalTest(server.Logs)
{
    private static readonly ModelBackends TorchBackend = new(TorchFamilies.All,
        Microsoft.Extensions.Options.Options.Create(new SplitNetServerOptions { Backend = ModelBackend.Torch }));

    private static void AssertFlat(Action run)
    {
        run();
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 40; i++)
        {
            run();
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void BatchedTails_TeacherAndStudent_LeaveNoTensorAlive()
    {
        using var teacher = (ServedTeacher)ModelBundles.Load(ServerFixture.TeacherDirectory, TorchBackend);
        using var split = (ServedSplitModel)ModelBundles.Load(server.SplitServerDirectory, TorchBackend);
        foreach (var target in teacher.Targets.Concat(split.Targets))
        {
            int length = target.Latent.MaxLength;
            AssertFlat(() => Assert.Equal(8 * target.Part.Classes,
                target.Run(new float[8 * target.Latent.Elements(length)], Enumerable.Repeat(length, 8).ToArray(), length).Probabilities!.Length));
        }
    }

    [Fact]
    public void ShippedVariableRateModel_EveryLevelWithItsEarlyExit_LeavesNoTensorAlive()
    {
        var edge = SplitModelBundle.SideDirectory(ServerFixture.ShippedSplitModelDirectory, BundleSide.Edge);
        using var split = (ServedSplitModel)ModelBundles.Load(SplitModelBundle.SideDirectory(ServerFixture.ShippedSplitModelDirectory, BundleSide.Server), TorchBackend);
        using var model = SplitModel.Load(edge, BundleSide.Edge, TorchFamilies.All);
        var exits = EarlyExit.All(EarlyExitBundle.Load(edge, model.Manifest), model.Latent);

        Assert.True(split.Targets.Count >= 8, $"{split.Targets.Count} levels served");
        foreach (var target in split.Targets)
        {
            int length = target.Latent.MaxLength;
            AssertFlat(() => Assert.Equal(4 * target.Part.Classes,
                target.Run(new float[4 * target.Latent.Elements(length)], Enumerable.Repeat(length, 4).ToArray(), length).Probabilities!.Length));
        }
        foreach (var level in model.Levels)
        {
            var head = new LatentEdgeHead(model, (uint)level.Level, exits);
            AssertFlat(() => Assert.NotNull(head.Encode(server.Sample.Image(3)).EarlyExit));
        }
    }

    [Fact]
    public void LatentHeadWithEarlyExit_LeavesNoTensorAlive()
    {
        using var model = SplitModel.Load(server.SplitEdgeDirectory, BundleSide.Edge, TorchFamilies.All);
        var exit = new EarlyExitHead(model.Latent.Channels, model.Manifest.Labels.Count);
        var head = new LatentEdgeHead(model, 1, [null, new EarlyExit(exit, model.Latent)]);
        AssertFlat(() => Assert.NotNull(head.Encode(server.Sample.Image(2)).EarlyExit));
    }

    [Fact]
    public void ToyTokenModel_EdgeAndPaddedServerParts_LeaveNoTensorAlive()
    {
        var root = Path.Combine(Path.GetTempPath(), $"splitnet-toy-leak-{Guid.NewGuid():N}");
        try
        {
            Toy.ToyFamily.Save("toy-leak", OutputKind.Both, seed: 3, Path.Combine(root, "edge"), Path.Combine(root, "server"));
            using var edge = SplitModel.Load(Path.Combine(root, "edge"), BundleSide.Edge, [new Toy.ToyFamily()]);
            using var served = SplitModel.Load(Path.Combine(root, "server"), BundleSide.Server, [new Toy.ToyFamily()]);
            var part = served.Levels[0].Server!;
            AssertFlat(() => Assert.Equal(5, edge.Levels[0].Edge!.Encode(SplitInput.TokenIds([1, 2, 3, 4, 5])).Length));
            AssertFlat(() => Assert.Equal(3 * 8, part.Run(new float[3 * served.Latent.Elements(8)], [2, 8, 5], 8).Embeddings!.Length));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
