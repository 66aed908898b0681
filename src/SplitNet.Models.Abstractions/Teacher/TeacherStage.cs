namespace SplitNet.Models.Teacher;

/// <summary>The named stages of the teacher, in order. A split point is the output of a stage.</summary>
public enum TeacherStage
{
    Stem = 0,
    Stage1 = 1,
    Stage2 = 2,
    Stage3 = 3,
    Head = 4,
}
