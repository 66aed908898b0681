using SplitNet.Codec.Entropy;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;

namespace SplitNet.Server.Tests;

/// <summary>Untrained Entropic Students (4 latent channels) on the test teacher's tail, saved as split models.</summary>
internal static class TinySplitModels
{
    /// <summary>One variable-rate student: a level per rung of <paramref name="ladder"/>, its frames one embedded stream.</summary>
    public static void SaveLadder(string modelId, int[] ladder, int seed, string edgeDirectory, string serverDirectory, int defaultLevel = 0)
    {
        var (teacher, manifest) = TeacherBundle.Load(ServerFixture.TeacherDirectory);
        using (teacher)
        {
            using var student = Student(teacher, seed);
            TorchBundles.SaveLadder(student, ladder, [.. ladder.Select(_ => 0.001)], new RateLevelScore?[ladder.Length], Template(modelId, teacher, manifest, defaultLevel),
                edgeDirectory, serverDirectory);
        }
    }

    /// <summary>Two separately initialised students as two rate levels: a model whose frames are not embedded.</summary>
    public static void SaveTwoLevels(string modelId, int seed, string edgeDirectory, string serverDirectory)
    {
        var (teacher, manifest) = TeacherBundle.Load(ServerFixture.TeacherDirectory);
        using (teacher)
        {
            using var low = Student(teacher, seed);
            using var high = Student(teacher, seed + 1);
            TorchBundles.Save([(low, 0.01, null), (high, 0.001, null)], Template(modelId, teacher, manifest, 0) with { Architecture = low.Config }, edgeDirectory, serverDirectory);
        }
    }

    /// <summary>An untrained student seeded with <paramref name="seed"/>, the teacher's tail, its tables built.</summary>
    public static EntropicStudent Student(TeacherNet teacher, int seed)
    {
        TorchSharp.torch.random.manual_seed(seed);
        var student = new EntropicStudent(new StudentConfig(4, 8, 8), teacher.Config);
        student.Tail.load_state_dict(teacher.state_dict());
        student.eval();
        student.Bottleneck.Update();
        return student;
    }

    private static SplitModelManifest Template(string modelId, TeacherNet teacher, TeacherManifest manifest, int defaultLevel) => new()
    {
        ModelId = modelId,
        TeacherModelId = manifest.ModelId,
        Teacher = teacher.Config,
        Stream = LatentStream.Compact,
        Labels = manifest.Labels,
        Normalization = manifest.Normalization,
        DefaultLevel = defaultLevel,
        Levels = [],
    };
}
