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

    [Theory]
    [InlineData("SplitNet.EdgeApp")]
    [InlineData("SplitNet.Edge")]
    [InlineData("SplitNet.OnnxRuntime")]
    [InlineData("SplitNet.Models.Abstractions")]
    public void DeviceProject_References_NeverReachTorchSharp(string project)
    {
        var reached = Reachable(project);

        Assert.DoesNotContain("SplitNet.Models", reached);
        Assert.DoesNotContain(Packages([project, .. reached]), p => p.Contains("TorchSharp", StringComparison.OrdinalIgnoreCase) || p.Contains("libtorch", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void EdgeApp_BuiltDependencies_HoldNoTorchSharpButOnnxRuntime()
    {
        var deps = Path.Combine(RepositoryRoot(), "src", "SplitNet.EdgeApp", "bin", "Release", "net10.0", "splitnet-edge.deps.json");
        Assert.True(File.Exists(deps), $"{deps} is missing: build the solution in Release first");

        var text = File.ReadAllText(deps);

        Assert.DoesNotContain("TorchSharp", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("libtorch", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Microsoft.ML.OnnxRuntime", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_References_ReachTrainingThroughTheGraph()
    {
        // The walk itself is tested: the CLI does reach training, and the edge does reach the model contract.
        Assert.Contains("SplitNet.Training", Reachable("SplitNet.Cli"));
        Assert.Contains("SplitNet.Models.Abstractions", Reachable("SplitNet.LoadTest"));
        Assert.Contains(Packages(["SplitNet.Models"]), p => p == "TorchSharp");
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

    /// <summary>Packages the named projects reference directly.</summary>
    private static HashSet<string> Packages(IEnumerable<string> projects) =>
        [.. projects.SelectMany(project => XDocument.Load(Path.Combine(RepositoryRoot(), "src", project, project + ".csproj"))
            .Descendants("PackageReference").Select(p => p.Attribute("Include")!.Value))];

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
