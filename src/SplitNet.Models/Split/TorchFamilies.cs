using SplitNet.Models.Student;
using SplitNet.Models.Text;

namespace SplitNet.Models.Split;

/// <summary>The split-model families whose parts run in TorchSharp.</summary>
public static class TorchFamilies
{
    /// <summary>The Entropic Student (a student per level, or one for a whole channel ladder) and the MiniLM token bottleneck.</summary>
    public static IReadOnlyList<ISplitModelFamily> All { get; } = [EntropicStudentFamily.Instance, EntropicLadderFamily.Instance, TextSplitFamily.Instance];
}
