using SplitNet.Models.Student;

namespace SplitNet.Training.Student;

/// <summary>A short name for how a student was trained, for tables that compare recipes.</summary>
public static class StudentRecipe
{
    /// <summary>
    /// "plain" for the paper's recipe, else the departures from it joined by '+': the encoder
    /// (teacher-stem, teacher-block, mobile), kd (logit KL in stage 1), st (straight-through rounding),
    /// tail (tail trained in stage 1), cosine (annealed learning rate), warm (started from another run),
    /// tuned (g_a's teacher block trained), ladder (variable rate; rung-beta with a β per
    /// rung, sandwich with the top rung on every image), dec{W} (a decoder wider or narrower than
    /// the default's).
    /// </summary>
    public static string Describe(StudentTrainingOptions options, StudentConfig architecture)
    {
        var parts = new List<string>();
        if (architecture.Encoder != StudentEncoder.Compact)
        {
            parts.Add(architecture.Encoder switch { StudentEncoder.TeacherStem => "teacher-stem", StudentEncoder.TeacherBlock => "teacher-block", _ => "mobile" });
        }
        if (options.TaskWeight > 0)
        {
            parts.Add("kd");
        }
        if (options.StraightThrough)
        {
            parts.Add("st");
        }
        if (options.Stage1Tail)
        {
            parts.Add("tail");
        }
        if (options.CosineDecay)
        {
            parts.Add("cosine");
        }
        if (options.InitFrom is not null)
        {
            parts.Add("warm");
        }
        if (options.TeacherBlockLearningRate > 0)
        {
            parts.Add("tuned");
        }
        if (options.Ladder is { } ladder)
        {
            parts.Add("ladder");
            if (ladder.RungBetas is not null)
            {
                parts.Add("rung-beta");
            }
            if (ladder.Sandwich)
            {
                parts.Add("sandwich");
            }
        }
        if (architecture.DecoderWidth != new StudentConfig().DecoderWidth)
        {
            parts.Add($"dec{architecture.DecoderWidth}");
        }
        return parts.Count == 0 ? "plain" : string.Join('+', parts);
    }
}
