using Grpc.Health.V1;
using Grpc.HealthCheck;

namespace SplitNet.Server.Services;

/// <summary>
/// The <c>grpc.health.v1</c> statuses: NOT_SERVING until the models are warmed up and again once
/// shutdown begins, SERVING in between, for the whole server ("") and each inference service.
/// </summary>
internal sealed class ServerHealth
{
    private static readonly string[] Services = ["", "splitnet.v1.SplitInference", "inference.GRPCInferenceService"];

    public ServerHealth() => SetServing(false);

    public HealthServiceImpl Service { get; } = new();

    public bool Serving { get; private set; }

    public void SetServing(bool serving)
    {
        Serving = serving;
        foreach (var service in Services)
        {
            Service.SetStatus(service, serving ? HealthCheckResponse.Types.ServingStatus.Serving : HealthCheckResponse.Types.ServingStatus.NotServing);
        }
    }
}
