using SplitNet.Edge;
using SplitNet.Models.Bundles;
using SplitNet.Models.Student;
using SplitNet.Server.Models;
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
        using var teacher = (ServedTeacher)ModelBundles.Load(ServerFixture.TeacherDirectory);
        using var split = (ServedSplitModel)ModelBundles.Load(server.SplitServerDirectory);
        foreach (var target in teacher.Targets.Concat(split.Targets))
        {
            AssertFlat(() => Assert.Equal(8 * target.Classes, target.Run(new float[8 * target.InputSize], 8).Length));
        }
    }

    [Fact]
    public void LatentHeadWithEarlyExit_LeavesNoTensorAlive()
    {
        var (manifest, levels) = SplitModelBundle.Load(server.SplitEdgeDirectory, BundleSide.Edge);
        using var exit = new EarlyExitHead(manifest.Architecture.LatentChannels, manifest.Labels.Count);
        var head = new LatentEdgeHead(manifest, levels, 1, [null, exit]);
        AssertFlat(() => Assert.NotNull(head.Encode(server.Sample.Image(2)).EarlyExit));
    }
}
