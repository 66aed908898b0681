using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Hosting;
using SplitNet.Server;

namespace SplitNet.Cli.Commands;

/// <summary><c>splitnet serve</c>: the server daemon.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var host = new Option<string>("--host") { Description = "Address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port (HTTP/2 without TLS); 0 picks a free one.", DefaultValueFactory = _ => 50051 };
        var models = new Option<string[]>("--model")
        {
            Description = "Teacher bundle folder to serve (repeatable; default: the shipped teacher).",
            DefaultValueFactory = _ => [CommonOptions.DefaultTeacher],
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("serve", "Run the server daemon: decode feature payloads, run the deep layers, answer predictions.")
        {
            host, port, models,
        };
        command.SetAction(async (result, cancellation) =>
        {
            await using var app = SplitNetServerHost.Build([], IPAddress.Parse(result.GetValue(host)!), result.GetValue(port),
                options => options.Models = [.. result.GetValue(models)!]);
            await app.StartAsync(cancellation);
            Console.Error.WriteLine($"splitnet server listening on {string.Join(", ", app.Urls)}");
            await app.WaitForShutdownAsync(cancellation);
            return 0;
        });
        return command;
    }
}
