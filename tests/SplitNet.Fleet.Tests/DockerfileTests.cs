using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SplitNet.Fleet.Tests;

/// <summary>
/// No container engine runs here, so the images are checked statically: what they copy exists,
/// what they publish is a project, what they run is a real command, they run unprivileged and bake no secret.
/// </summary>
public sealed partial class DockerfileTests
{
    public static TheoryData<string> Dockerfiles() => [.. Directory.GetFiles(Path.Combine(Fleet.Root, "deploy", "docker"), "*.Dockerfile").Select(f => Path.GetFileName(f))];

    private static string[] Lines(string name) => File.ReadAllLines(Path.Combine(Fleet.Root, "deploy", "docker", name));

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Dockerfile_CopiesOnlyWhatExists_AndPublishesRealProjects(string name)
    {
        var lines = Lines(name);
        var copies = lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from=", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(copies);
        foreach (var copy in copies)
        {
            var parts = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.All(parts[1..^1], source => Assert.True(Path.Exists(Path.Combine(Fleet.Root, source)), $"{name}: COPY source '{source}' does not exist"));
        }
        foreach (Match publish in Publish().Matches(string.Join('\n', lines)))
        {
            var project = Path.Combine(Fleet.Root, publish.Groups[1].Value);
            Assert.True(File.Exists(Path.Combine(project, Path.GetFileName(project) + ".csproj")), $"{name}: '{publish.Groups[1].Value}' is not a project");
        }
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Dockerfile_RunsUnprivileged_AndBakesNoSecret(string name)
    {
        var lines = Lines(name);
        var final = lines.Skip(Array.FindLastIndex(lines, l => l.StartsWith("FROM ", StringComparison.Ordinal))).ToArray();
        var user = final.LastOrDefault(l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.True(user is not null && user.Split(' ')[1] is not ("root" or "0"), $"{name}: the final stage must run as a non-root USER");
        Assert.DoesNotContain(lines, l => Secret().IsMatch(l));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Dockerfile_EntrypointAndHealthCheck_AreRealCommands(string name)
    {
        foreach (var line in Lines(name).Where(l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal) || l.StartsWith("HEALTHCHECK ", StringComparison.Ordinal)))
        {
            var exec = JsonSerializer.Deserialize<string[]>(line[line.IndexOf('[', StringComparison.Ordinal)..])!;
            var (program, arguments) = exec[0] == "dotnet" ? (exec[1], exec[2..]) : (exec[0], exec[1..]);
            var command = arguments.TakeWhile(a => !a.StartsWith('-')).ToArray();
            var built = Path.GetFileName(program) switch
            {
                "splitnet.dll" => Fleet.Splitnet,
                "splitnet-edge" => Path.Combine(Fleet.Root, "src", "SplitNet.EdgeApp", "bin", Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(Fleet.Splitnet))!), "net10.0", "splitnet-edge.dll"),
                var other => throw new InvalidOperationException($"{name}: runs '{other}', which SplitNet does not build"),
            };
            var usage = Usage(built, command);
            Assert.True(usage.StartsWith(string.Join(' ', [Path.GetFileNameWithoutExtension(built), .. command]) + " [options]", StringComparison.Ordinal),
                $"{name}: '{string.Join(' ', exec)}' is not a command of {Path.GetFileName(built)} (its help says: {usage})");
        }
    }

    /// <summary>The usage line <c>program command… --help</c> prints: the command's own for a command the program has, its parent's otherwise.</summary>
    private static string Usage(string assembly, string[] command)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(assembly);
        foreach (var word in command.Append("--help"))
        {
            start.ArgumentList.Add(word);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        var lines = output.Result.Split('\n');
        int at = Array.FindIndex(lines, l => l.StartsWith("Usage:", StringComparison.Ordinal));
        return at >= 0 && at + 1 < lines.Length ? lines[at + 1].Trim() : "";
    }

    [GeneratedRegex(@"dotnet publish (src/[A-Za-z.]+)")]
    private static partial Regex Publish();

    [GeneratedRegex(@"^(ENV|ARG)\s.*(PASSWORD|SECRET|TOKEN|API_?KEY)", RegexOptions.IgnoreCase)]
    private static partial Regex Secret();
}
