using SplitNet.Models.Data;
using SplitNet.Models.Teacher;
using TorchSharp;
using static TorchSharp.torch;

namespace SplitNet.Models.Tests;

[Collection(nameof(TorchCollection))]
public sealed class TorchTests
{
    [Fact]
    public void LibTorch_MatrixProduct_RunsInTheTestProcess()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        using var b = a.matmul(a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, b.data<float>().ToArray());
    }

    [Fact]
    public void Run_StageRanges_ComposeToTheWholeNetwork()
    {
        random.manual_seed(5);
        using var net = new TeacherNet(new TeacherConfig([8, 16, 32], 1, 10));
        net.eval();
        using var _ = inference_mode();
        using var scope = NewDisposeScope();
        var x = randn(3, 1, 28, 28);
        var whole = net.call(x);
        foreach (var split in new[] { TeacherStage.Stem, TeacherStage.Stage1, TeacherStage.Stage2, TeacherStage.Stage3 })
        {
            var feature = net.Run(x, TeacherStage.Stem, split);
            Assert.Equal([3L, .. net.Config.FeatureShape(split).Select(d => (long)d)], feature.shape);
            var tail = net.Run(feature, split + 1, TeacherStage.Head);
            Assert.True(tail.allclose(whole, rtol: 1e-5, atol: 1e-6), $"split after {split}");
        }
    }

    [Fact]
    public void Forward_FiftyTimesInInferenceMode_LeavesNoLiveTensors()
    {
        random.manual_seed(6);
        using var net = new TeacherNet(new TeacherConfig([8, 16, 32], 1, 10));
        net.eval();
        var pixels = new byte[28 * 28];
        new Random(1).NextBytes(pixels);
        using var mode = inference_mode();
        // One warm-up so lazily created state is not counted.
        using (NewDisposeScope())
        {
            net.call(ImageTensors.Single(pixels, 28, 28));
        }
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 50; i++)
        {
            using var scope = NewDisposeScope();
            var logits = net.call(ImageTensors.Single(pixels, 28, 28));
            _ = logits.argmax(1).item<long>();
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}

[CollectionDefinition(nameof(TorchCollection), DisableParallelization = true)]
public sealed class TorchCollection;
