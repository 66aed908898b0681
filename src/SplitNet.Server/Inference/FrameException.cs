using Grpc.Core;

namespace SplitNet.Server.Inference;

/// <summary>One frame cannot be answered; <see cref="Status"/> is the gRPC status it maps to.</summary>
internal sealed class FrameException(StatusCode status, string message) : Exception(message)
{
    public StatusCode Status { get; } = status;
}
