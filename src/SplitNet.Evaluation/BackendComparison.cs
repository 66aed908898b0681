using System.Diagnostics;
using SplitNet.Codec;
using SplitNet.Models.Split;

namespace SplitNet.Evaluation;

/// <summary>Server-part throughput of two backends on the same batch, and how far their outputs are apart.</summary>
public sealed record ServerBackendRow(string Model, int BatchSize, double TorchFramesPerSecond, double OnnxFramesPerSecond, double MaxAbsDifference)
{
    public double Speedup => OnnxFramesPerSecond / TorchFramesPerSecond;
}

/// <summary>Edge-part latency per frame (batch 1) of two backends, and how often their symbols agree.</summary>
public sealed record EdgeBackendRow(string Model, int Frames, double TorchMilliseconds, double OnnxMilliseconds, double SymbolAgreement)
{
    public double Speedup => TorchMilliseconds / OnnxMilliseconds;
}

/// <summary>
/// Runs the same parts on two backends side by side: rounds that alternate between them, so a
/// noisy, shared machine slows both alike; the median round counts.
/// </summary>
public static class BackendComparison
{
    /// <summary>One batch of ŷ for a server part: frames laid out as <see cref="IServerPart.Run"/> takes them.</summary>
    public sealed record ServerBatch(float[] YHat, int[] Lengths, int PaddedLength);

    /// <summary>Pads frames' ŷ (each channel-major over its own length) to one batch of <paramref name="batchSize"/>, cycling through them.</summary>
    public static ServerBatch Batch(LatentShape latent, IReadOnlyList<(float[] YHat, int Length)> frames, int batchSize)
    {
        var chosen = Enumerable.Range(0, batchSize).Select(i => frames[i % frames.Count]).ToArray();
        int padded = latent.IsVariable ? latent.PaddedLength(chosen.Max(f => f.Length)) : latent.MaxLength;
        int perFrame = latent.Elements(padded), step = latent.StepElements;
        var yHat = new float[batchSize * perFrame];
        for (int i = 0; i < batchSize; i++)
        {
            var (frame, length) = chosen[i];
            int rowIn = length * step, rowOut = padded * step;
            for (int c = 0; c < latent.Channels; c++)
            {
                frame.AsSpan(c * rowIn, rowIn).CopyTo(yHat.AsSpan(i * perFrame + c * rowOut, rowIn));
            }
        }
        return new ServerBatch(yHat, [.. chosen.Select(f => f.Length)], padded);
    }

    public static ServerBackendRow Server(string model, IServerPart torch, IServerPart onnx, ServerBatch batch, TimeSpan perRound, int rounds)
    {
        var a = Outputs(torch.Run(batch.YHat, batch.Lengths, batch.PaddedLength));
        var b = Outputs(onnx.Run(batch.YHat, batch.Lengths, batch.PaddedLength));
        double difference = a.Zip(b, (x, y) => (double)Math.Abs(x - y)).DefaultIfEmpty(double.PositiveInfinity).Max();
        var (torchRate, onnxRate) = Alternate(rounds, () => Rate(torch, batch, perRound), () => Rate(onnx, batch, perRound));
        return new ServerBackendRow(model, batch.Lengths.Length, torchRate, onnxRate, a.Length == b.Length ? difference : double.PositiveInfinity);
    }

    public static EdgeBackendRow Edge(string model, IEdgePart torch, IEdgePart onnx, Func<int, SplitInput> input, int frames, int rounds)
    {
        long same = 0, total = 0;
        for (int i = 0; i < frames; i++)
        {
            var a = torch.Encode(input(i)).Symbols;
            var b = onnx.Encode(input(i)).Symbols;
            total += a.Length;
            same += a.Length == b.Length ? a.Zip(b).Count(p => p.First == p.Second) : 0;
        }
        var (torchMs, onnxMs) = Alternate(rounds, () => Milliseconds(torch, input, frames), () => Milliseconds(onnx, input, frames));
        return new EdgeBackendRow(model, frames, torchMs, onnxMs, (double)same / total);
    }

    private static float[] Outputs(SplitOutput output) => [.. output.Probabilities ?? [], .. output.Embeddings ?? []];

    private static (double A, double B) Alternate(int rounds, Func<double> a, Func<double> b)
    {
        a();
        b();
        var (xs, ys) = (new List<double>(), new List<double>());
        for (int r = 0; r < rounds; r++)
        {
            xs.Add(a());
            ys.Add(b());
        }
        return (Median(xs), Median(ys));
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static double Rate(IServerPart part, ServerBatch batch, TimeSpan duration)
    {
        long frames = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            part.Run(batch.YHat, batch.Lengths, batch.PaddedLength);
            frames += batch.Lengths.Length;
        }
        return frames / clock.Elapsed.TotalSeconds;
    }

    private static double Milliseconds(IEdgePart part, Func<int, SplitInput> input, int frames)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < frames; i++)
        {
            part.Encode(input(i));
        }
        return clock.Elapsed.TotalMilliseconds / frames;
    }
}
