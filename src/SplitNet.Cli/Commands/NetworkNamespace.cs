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

    /// <summary>Shapes the egress of <paramref name="device"/> with tbf at <paramref name="rate"/> (tc syntax), or unshapes it for <c>none</c>.</summary>
    public static void Shape(string device, string rate, string burst = "32kb")
    {
        // Without a burst larger than the MTU, TCP stalls under tbf.
        string[] arguments = rate == "none"
            ? ["qdisc", "replace", "dev", device, "root", "pfifo_fast"]
            : ["qdisc", "replace", "dev", device, "root", "tbf", "rate", rate, "burst", burst, "latency", "100ms"];
        using var tc = Process.Start("tc", arguments)!;
        tc.WaitForExit();
        if (tc.ExitCode != 0)
        {
            throw new InvalidOperationException($"tc could not shape {device} to {rate} (exit {tc.ExitCode})");
        }
    }
}
