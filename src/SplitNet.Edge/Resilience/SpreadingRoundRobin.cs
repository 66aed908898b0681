using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.Logging;

namespace SplitNet.Edge.Resilience;

/// <summary>
/// Round robin over the ready replicas, starting at a random one, that tells the edge when every
/// resolved replica is connected. A stream is balanced once, when it opens, so an edge that opened
/// it as soon as the first replica answered would put its whole run on that replica; edges started
/// together would then pile onto whichever replica is quickest to accept. Waiting for
/// <see cref="ReplicaReadiness.AllConnected"/> first spreads them over the fleet.
/// </summary>
internal sealed class SpreadingRoundRobin(ReplicaReadiness readiness) : LoadBalancerFactory
{
    public const string PolicyName = "splitnet_round_robin";

    public override string Name => PolicyName;

    public override LoadBalancer Create(LoadBalancerOptions options) => new Balancer(options.Controller, options.LoggerFactory, readiness);

    private sealed class Balancer(IChannelControlHelper controller, ILoggerFactory loggerFactory, ReplicaReadiness readiness)
        : SubchannelsLoadBalancer(controller, loggerFactory)
    {
        public override void UpdateChannelState(ChannelState state)
        {
            if (state.Status.StatusCode == StatusCode.OK && state.Addresses is { Count: > 0 } addresses)
            {
                readiness.Resolved(addresses.Count);
            }
            base.UpdateChannelState(state);
        }

        protected override SubchannelPicker CreatePicker(IReadOnlyList<Subchannel> readySubchannels)
        {
            readiness.Connected(readySubchannels.Count);
            return new Picker([.. readySubchannels], Random.Shared.Next(readySubchannels.Count));
        }
    }

    private sealed class Picker(Subchannel[] ready, long start) : SubchannelPicker
    {
        private long _picks = start;

        public override PickResult Pick(PickContext context) =>
            PickResult.ForSubchannel(ready[(int)(Interlocked.Increment(ref _picks) % ready.Length)]);
    }
}

/// <summary>How many of a balanced channel's resolved replicas are connected.</summary>
internal sealed class ReplicaReadiness
{
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _resolved;

    /// <summary>Completes once as many replicas are ready as the resolver last named.</summary>
    public Task AllConnected => _all.Task;

    public void Resolved(int addresses) => Volatile.Write(ref _resolved, addresses);

    public void Connected(int ready)
    {
        if (ready >= Volatile.Read(ref _resolved))
        {
            _all.TrySetResult();
        }
    }
}
