using System.CommandLine;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace SplitNet.Cli.Commands;

/// <summary><c>splitnet health</c>: asks a server's <c>grpc.health.v1</c> service; exit 0 only when it is SERVING (container health checks).</summary>
internal static class HealthCommand
{
    public static Command Create()
    {
        var server = new Option<string>("--server") { Description = "Server URL.", DefaultValueFactory = _ => "http://127.0.0.1:50051" };
        var service = new Option<string>("--service") { Description = "Service to ask about (empty: the server as a whole).", DefaultValueFactory = _ => "" };
        var timeout = new Option<int>("--timeout-ms") { Description = "Give up after this long.", DefaultValueFactory = _ => 3000 };
        var command = new Command("health", "Ask a server's grpc.health.v1 service; exit 0 when SERVING, 1 otherwise.") { server, service, timeout };
        command.SetAction(async (result, cancellation) =>
        {
            using var channel = GrpcChannel.ForAddress(result.GetValue(server)!);
            try
            {
                var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest { Service = result.GetValue(service)! },
                    deadline: DateTime.UtcNow.AddMilliseconds(result.GetValue(timeout)), cancellationToken: cancellation);
                Console.WriteLine(reply.Status);
                return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving ? 0 : 1;
            }
            catch (Grpc.Core.RpcException e)
            {
                Console.Error.WriteLine($"{e.StatusCode}: {e.Status.Detail}");
                return 1;
            }
        });
        return command;
    }
}
