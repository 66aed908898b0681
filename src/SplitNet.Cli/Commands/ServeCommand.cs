using System.CommandLine;
using Microsoft.Extensions.Hosting;
using SplitNet.Models.Bundles;
using SplitNet.Server;

namespace SplitNet.Cli.Commands;

/// <summary>The options of <c>splitnet serve</c>; <paramref name="HostArguments"/> are the <c>--SplitNet:Server:…</c> settings passed on to the host.</summary>
internal sealed record ServeSettings(string? Config, string? Host, int? Port, int? MetricsPort, string[] Models, string? Repository, string[] HostArguments);

/// <summary><c>splitnet serve</c>: the server daemon.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "JSON settings file (section SplitNet:Server; see README \"Running the server\")." };
        var host = new Option<string?>("--host") { Description = "Address to listen on (default 127.0.0.1)." };
        var port = new Option<int?>("--port") { Description = "gRPC port (default 50051; 0 picks a free one)." };
        var metricsPort = new Option<int?>("--metrics-port") { Description = "Prometheus /metrics port (default 9464; 0 turns it off)." };
        var models = new Option<string[]>("--model")
        {
            Description = "Bundle folder to serve (repeat the option for more; default: the shipped teacher and split model, unless --config, --repository or settings name models).",
        };
        var repository = new Option<string?>("--repository") { Description = "Model repository: <dir>/<model>/<version>/ bundle folders." };
        var command = new Command("serve", "Run the server daemon. Further settings as --SplitNet:Server:<Name>=<value> or SplitNet__Server__<Name> environment variables.")
        {
            config, host, port, metricsPort, models, repository,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((result, cancellation) => RunAsync(new ServeSettings(
            result.GetValue(config), result.GetValue(host), result.GetValue(port), result.GetValue(metricsPort),
            result.GetValue(models) ?? [], result.GetValue(repository), [.. result.UnmatchedTokens]), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(ServeSettings settings, CancellationToken cancellation)
    {
        await using var app = SplitNetServerHost.Build(settings.HostArguments, options =>
        {
            options.Address = settings.Host ?? options.Address;
            options.Port = settings.Port ?? options.Port;
            options.MetricsPort = settings.MetricsPort ?? options.MetricsPort;
            options.ModelRepository = settings.Repository ?? options.ModelRepository;
            if (settings.Models.Length > 0)
            {
                options.Models = [.. settings.Models];
            }
            else if (options.Models.Count == 0 && options.ModelRepository is null)
            {
                options.Models = Directory.Exists(CommonOptions.DefaultEntropic)
                    ? [CommonOptions.DefaultTeacher, SplitModelBundle.SideDirectory(CommonOptions.DefaultEntropic, BundleSide.Server)]
                    : [CommonOptions.DefaultTeacher];
            }
        }, configFile: settings.Config);
        await app.StartAsync(cancellation);
        Console.Error.WriteLine($"splitnet server listening on {string.Join(", ", app.Urls)}; warming up");
        try
        {
            await app.WhenReadyAsync(cancellation);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException)
        {
            Console.Error.WriteLine($"splitnet server cannot start: {e.Message}");
            return 1;
        }
        Console.Error.WriteLine("splitnet server ready");
        await app.WaitForShutdownAsync(cancellation);
        return 0;
    }
}
