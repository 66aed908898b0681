using SplitNet.Models.Bundles;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using TorchSharp.PyBridge;

namespace SplitNet.Training.Student;

/// <summary>A finished <c>splitnet train student</c> run folder.</summary>
public static class StudentRun
{
    /// <summary>Loads the trained student and its settings from <paramref name="directory"/>.</summary>
    public static (EntropicStudent Student, StudentCheckpoint State) Load(string directory, TeacherConfig teacher)
    {
        var statePath = Path.Combine(directory, "state.json");
        var state = BundleJson.Read<StudentCheckpoint>(statePath);
        if (state.Stage != 3)
        {
            throw new InvalidDataException($"{statePath}: the run has not finished (stage {state.Stage}); run splitnet train student again with --out {directory}.");
        }
        var weights = Path.Combine(directory, "student.safetensors");
        var student = new EntropicStudent(state.Architecture, teacher);
        if (!SafetensorsHeader.ReadShapes(weights).TryGetValue("entropy_bottleneck._quantized_cdf", out var tables))
        {
            throw new InvalidDataException($"{weights}: no entropy_bottleneck._quantized_cdf tables.");
        }
        student.Bottleneck.PrepareTables(tables);
        student.load_safetensors(weights, strict: true);
        student.eval();
        return (student, state);
    }
}
