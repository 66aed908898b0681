namespace SplitNet.Models.Teacher;

/// <summary>Shape of the ResNet-style teacher.</summary>
/// <param name="Widths">Channels of stage 1, 2 and 3 (the stem has the width of stage 1).</param>
/// <param name="BlocksPerStage">Basic residual blocks per stage.</param>
/// <param name="Classes">Output classes.</param>
public sealed record TeacherConfig(int[] Widths, int BlocksPerStage, int Classes)
{
    /// <summary>The shipped configuration: 32/64/128 channels at 28/14/7 pixels, two blocks a stage.</summary>
    public static TeacherConfig Default { get; } = new([32, 64, 128], 2, 10);

    /// <summary>Shape (C, H, W) of the feature after <paramref name="stage"/> for a 28x28 input.</summary>
    public int[] FeatureShape(TeacherStage stage) => stage switch
    {
        TeacherStage.Stem or TeacherStage.Stage1 => [Widths[0], 28, 28],
        TeacherStage.Stage2 => [Widths[1], 14, 14],
        TeacherStage.Stage3 => [Widths[2], 7, 7],
        TeacherStage.Head => [Classes],
        _ => throw new ArgumentOutOfRangeException(nameof(stage)),
    };
}
