using System.CommandLine;
using Microsoft.Extensions.Logging;
using SplitNet.Edge.Resilience;
using SplitNet.Server;

namespace SplitNet.Cli.Commands;

/// <summary><c>splitnet demo</c>: server and edge in one process, on the shipped model and sample.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var edge = new EdgeOptions();
        var command = new Command("demo", "Start a server on a free loopback port and run the edge against it on the shipped sample.");
        edge.AddTo(command);
        command.SetAction((result, cancellation) => RunAsync(edge.Read(result), cancellation));
        command.Subcommands.Add(TextCommand());
        return command;
    }

    private static Command TextCommand()
    {
        var command = new Command("text", "Start a server on a free loopback port with the text split model and send it sentences (the shipped WordNet sample by default).");
        var read = TextEdgeCommand.AddOptions(command);
        command.SetAction(async (result, cancellation) =>
        {
            var settings = read(result);
            await using var server = SplitNetServerHost.Build([], options =>
            {
                options.Port = 0;
                options.MetricsPort = 0;
                options.Models = [settings.ServerBundle];
            }, LogLevel.Warning);
            await server.StartAsync(cancellation);
            await server.WhenReadyAsync(cancellation);
            var url = server.Urls.First();
            if (!settings.Json)
            {
                Console.WriteLine($"server on {url}; the edge tokenizes, runs the first layers and codes each sentence");
            }
            var summary = await TextEdgeCommand.RunAsync(settings, open => new EdgeClient(new EdgeClientOptions
            {
                Endpoints = [new Uri(url)],
                Window = settings.Window,
                FrameDeadline = TimeSpan.FromMilliseconds(settings.DeadlineMs),
            }, open), cancellation);
            await server.StopAsync(cancellation);
            return summary.Failed == 0 ? 0 : 1;
        });
        return command;
    }

    private static async Task<int> RunAsync(EdgeSettings settings, CancellationToken cancellation)
    {
        await using var server = SplitNetServerHost.Build([], options =>
        {
            options.Port = 0;
            options.MetricsPort = 0;
            options.Models = settings.Entropic is null ? [settings.Teacher] : [settings.Teacher, settings.ServerBundle];
        }, LogLevel.Warning);
        await server.StartAsync(cancellation);
        await server.WhenReadyAsync(cancellation);
        var url = server.Urls.First();
        if (!settings.Json)
        {
            Console.WriteLine($"server on {url}; edge sends {(settings.Count > 0 ? settings.Count : "all")} images from {settings.Data}");
        }
        var report = await EdgeCommand.RunAsync(settings, [url], cancellation);
        await server.StopAsync(cancellation);
        return report.Failed == 0 ? 0 : 1;
    }
}
