using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Edge.Sources;
using SplitNet.LoadTest;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Split;

namespace SplitNet.Cli.Commands;

/// <summary>What the fleet benchmarks send: the shipped vision model's sample, coded once at its default level, and the server bundle the replicas serve.</summary>
internal sealed record ShippedLoad(string ServerBundle, StreamOpen? Open, LoadFrame[] Frames)
{
    public static ShippedLoad Create()
    {
        var edgeDirectory = SplitModelBundle.SideDirectory(CommonOptions.DefaultEntropic, BundleSide.Edge);
        using var edge = SplitModel.Load(edgeDirectory, BundleSide.Edge, CommonOptions.EdgeFamilies(Server.Serving.ModelBackend.Auto, edgeDirectory));
        var head = new LatentEdgeHead(edge, (uint)edge.Manifest.DefaultLevel);
        var sample = new DatasetSource(FashionMnist.Load(CommonOptions.SampleDirectory, DatasetSplit.Test), CommonOptions.SampleDirectory);
        return new ShippedLoad(SplitModelBundle.SideDirectory(CommonOptions.DefaultEntropic, BundleSide.Server), head.Open,
            [.. Enumerable.Range(0, sample.Count).Select(i => head.Encode(sample.Input(i))).Select(f => new LoadFrame(f.Payload, f.RateLevel))]);
    }
}
