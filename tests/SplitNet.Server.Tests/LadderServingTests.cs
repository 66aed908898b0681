using SplitNet.Codec.Entropy;
using SplitNet.Edge;
using SplitNet.Edge.Resilience;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Split;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;

namespace SplitNet.Server.Tests;

/// <summary>A variable-rate split model served: one student answers every level, frames at each level being prefixes of one stream.</summary>
public sealed class LadderServingTests : FunctionalTest, IAsyncLifetime
{
    private static readonly int[] Ladder = [1, 2, 3, 4];
    private readonly string _root = Directory.CreateTempSubdirectory("splitnet-ladder-").FullName;
    private TestServer _server = null!;

    private string EdgeDirectory => Path.Combine(_root, "edge");
    private string ServerDirectory => Path.Combine(_root, "server");

    public async Task InitializeAsync()
    {
        var (teacher, manifest) = TeacherBundle.Load(ServerFixture.TeacherDirectory);
        using (teacher)
        {
            TorchSharp.torch.random.manual_seed(31);
            using var student = new EntropicStudent(new StudentConfig(4, 8, 8), teacher.Config);
            student.Tail.load_state_dict(teacher.state_dict());
            student.eval();
            student.Bottleneck.Update();
            TorchBundles.SaveLadder(student, Ladder, 0.001, [null, null, null, null], new SplitModelManifest
            {
                ModelId = "test-ladder",
                TeacherModelId = manifest.ModelId,
                Teacher = teacher.Config,
                Stream = LatentStream.Compact,
                Labels = manifest.Labels,
                Normalization = manifest.Normalization,
                DefaultLevel = 3,
                Levels = [],
            }, EdgeDirectory, ServerDirectory);
        }
        _server = await StartServerAsync(options => options.Models = [ServerDirectory]);
    }

    [Fact]
    public async Task EdgeClient_EveryLevelOfOneStudent_GetsTheAnswerOfTheLocalParts_AndSendsAPrefixOfTheTopLevel()
    {
        using var edge = SplitModel.Load(EdgeDirectory, BundleSide.Edge, TorchFamilies.All);
        using var local = SplitModel.Load(ServerDirectory, BundleSide.Server, TorchFamilies.All);
        var images = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fashion-mnist-sample"), DatasetSplit.Test);
        var head = new LatentEdgeHead(edge);
        await using var client = new EdgeClient(new EdgeClientOptions { Endpoints = [new Uri(_server.Url)], FrameDeadline = TimeSpan.FromSeconds(30) }, head.Open);

        for (uint level = 0; level < Ladder.Length; level++)
        {
            for (int i = 0; i < 6; i++)
            {
                head.RateLevel = level;
                var frame = head.Encode(images.Image(i));
                head.RateLevel = (uint)Ladder.Length - 1;
                var top = head.Encode(images.Image(i));
                var answer = await client.InferAsync((ulong)(level * 10 + i), frame).WithTimeout();

                Assert.Equal(level, frame.RateLevel);
                Assert.Equal(top.Payload.AsSpan(0, frame.Payload.Length).ToArray(), frame.Payload);
                var yHat = new float[4 * 7 * 7];
                Assert.True(local.Levels[(int)level].Entropy.TryDecompress(frame.Payload, yHat, out var error), error);
                var expected = local.Levels[(int)level].Server!.Run(yHat, [7], 7).Probabilities!;
                Assert.True(answer.Succeeded, answer.Failure);
                Assert.Equal(Array.IndexOf(expected, expected.Max()), answer.ClassId);
                Assert.Equal(expected.Max(), answer.Confidence, 4);
            }
        }
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }
}
