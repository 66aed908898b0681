using System.Xml.Linq;

namespace SplitNet.Training.Tests;

public sealed class ProjectGraphTests
{
    [Theory]
    [InlineData("SplitNet.Edge")]
    [InlineData("SplitNet.Server")]
    [InlineData("SplitNet.LoadTest")]
    [InlineData("SplitNet.Models")]
    [InlineData("SplitNet.Codec")]
    [InlineData("SplitNet.Contracts")]
    public void RuntimeProject_References_NeverReachTraining(string project)
    {
        var reached = Reachable(project);

        Assert.DoesNotContain("SplitNet.Training", reached);
    }

    [Fact]
    public void Cli_References_ReachTrainingThroughTheGraph()
    {
        // The walk itself is tested: the CLI does reach training, and the edge does reach the model contract.
        Assert.Contains("SplitNet.Training", Reachable("SplitNet.Cli"));
        Assert.Contains("SplitNet.Models.Abstractions", Reachable("SplitNet.LoadTest"));
    }

    /// <summary>Names of every project that <paramref name="project"/> references, directly or not.</summary>
    private static HashSet<string> Reachable(string project)
    {
        var start = Path.Combine(RepositoryRoot(), "src", project, project + ".csproj");
        Assert.True(File.Exists(start), $"{start} is missing");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(start)]);
        while (pending.TryPop(out var path))
        {
            foreach (var reference in XDocument.Load(path).Descendants("ProjectReference"))
            {
                var target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, reference.Attribute("Include")!.Value));
                if (seen.Add(Path.GetFileNameWithoutExtension(target)))
                {
                    pending.Push(target);
                }
            }
        }
        return seen;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SplitNet.sln")))
            {
                return directory.FullName;
            }
        }
        throw new DirectoryNotFoundException($"No SplitNet.sln above {AppContext.BaseDirectory}.");
    }
}
