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
        using var teacher = (ServedTeacher)ModelBundles.Load(ServerFixture.TeacherDirectory, SplitModel.BuiltInFamilies);
        using var split = (ServedSplitModel)ModelBundles.Load(server.SplitServerDirectory, SplitModel.BuiltInFamilies);
        foreach (var target in teacher.Targets.Concat(split.Targets))
        {
            int length = target.Latent.MaxLength;
            AssertFlat(() => Assert.Equal(8 * target.Part.Classes,
                target.Run(new float[8 * target.Latent.Elements(length)], Enumerable.Repeat(length, 8).ToArray(), length).Probabilities!.Length));
        }
    }

    [Fact]
    public void LatentHeadWithEarlyExit_LeavesNoTensorAlive()
    {
        using var model = SplitModel.Load(server.SplitEdgeDirectory, BundleSide.Edge);
        var exit = new EarlyExitHead(model.Latent.Channels, model.Manifest.Labels.Count);
        var head = new LatentEdgeHead(model, 1, [null, exit]);
        AssertFlat(() => Assert.NotNull(head.Encode(server.Sample.Image(2)).EarlyExit));
    }
}
