using SplitNet.Codec.Entropy;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;

namespace SplitNet.Server.Tests;

/// <summary>An untrained variable-rate student (4 latent channels) on the test teacher's tail, saved as a split model.</summary>
internal static class TinyLadder
{
    public static void Save(string modelId, int[] ladder, int seed, string edgeDirectory, string serverDirectory, int defaultLevel = 0)
    {
        var (teacher, manifest) = TeacherBundle.Load(ServerFixture.TeacherDirectory);
        using (teacher)
        {
            TorchSharp.torch.random.manual_seed(seed);
            using var student = new EntropicStudent(new StudentConfig(4, 8, 8), teacher.Config);
            student.Tail.load_state_dict(teacher.state_dict());
            student.eval();
            student.Bottleneck.Update();
            TorchBundles.SaveLadder(student, ladder, 0.001, new RateLevelScore?[ladder.Length], new SplitModelManifest
            {
                ModelId = modelId,
                TeacherModelId = manifest.ModelId,
                Teacher = teacher.Config,
                Stream = LatentStream.Compact,
                Labels = manifest.Labels,
                Normalization = manifest.Normalization,
                DefaultLevel = defaultLevel,
                Levels = [],
            }, edgeDirectory, serverDirectory);
        }
    }
}
