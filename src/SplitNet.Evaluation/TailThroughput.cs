using System.Diagnostics;
using SplitNet.Codec.Entropy;
using SplitNet.Models.Bundles;
using SplitNet.Models.Student;
using static TorchSharp.torch;

namespace SplitNet.Evaluation;

/// <summary>
/// The physical limit of a server for one rate level: rANS decoding plus decoder and tail,
/// in-process on one thread, no network and no queue, at a fixed batch size.
/// </summary>
public static class TailThroughput
{
    /// <summary>Frames per second over <paramref name="duration"/> (after one untimed batch).</summary>
    public static double Measure(TorchLevel level, LatentStream stream, IReadOnlyList<byte[]> payloads, int batchSize, TimeSpan duration)
    {
        var (server, entropy) = (level.Server, level.Entropy(level.Server, stream));
        int next = 0;
        IReadOnlyList<byte[]> Batch()
        {
            var batch = new byte[batchSize][];
            for (int i = 0; i < batchSize; i++, next++)
            {
                batch[i] = payloads[next % payloads.Count];
            }
            return batch;
        }
        Run(server, entropy, Batch());
        long frames = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            Run(server, entropy, Batch());
            frames += batchSize;
        }
        return frames / clock.Elapsed.TotalSeconds;
    }

    private static float[] Run(EntropicStudent server, EntropyModel entropy, IReadOnlyList<byte[]> batch)
    {
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var yHat = server.Bottleneck.Decompress(batch, StudentConfig.LatentSize, StudentConfig.LatentSize, entropy);
        return nn.functional.softmax(server.Classify(yHat), 1).data<float>().ToArray();
    }
}
