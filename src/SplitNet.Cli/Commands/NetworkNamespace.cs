using System.Diagnostics;

namespace SplitNet.Cli.Commands;

/// <summary>The guard of every bench that shapes links: it runs only in a network namespace a script made for it.</summary>
internal static class NetworkNamespace
{
    /// <summary>True when this process's network namespace is not <paramref name="host"/> (as <c>readlink /proc/self/ns/net</c> prints it).</summary>
    public static bool IsOwn(string? host)
    {
        var readlink = new ProcessStartInfo("readlink", ["/proc/self/ns/net"]) { RedirectStandardOutput = true };
        using var process = Process.Start(readlink)!;
        var own = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return process.ExitCode == 0 && host is { Length: > 0 } && own.Length > 0 && own != host.Trim();
    }
}
