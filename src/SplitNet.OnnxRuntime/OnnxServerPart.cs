using Microsoft.ML.OnnxRuntime;
using SplitNet.Codec;
using SplitNet.Models.Split;

namespace SplitNet.OnnxRuntime;

/// <summary>An exported server part run by ONNX Runtime: a batch of ŷ → probabilities and/or embeddings.</summary>
/// <remarks>ONNX Runtime sessions take concurrent calls: every inference worker may run this part at once.</remarks>
internal sealed class OnnxServerPart : IServerPart
{
    private readonly IDisposable _lease;
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly string[] _inputs;
    private readonly IReadOnlyList<string> _outputs;

    public OnnxServerPart(InferenceSession session, IDisposable lease, string path, LatentShape latent, OutputKind output, int classes, int embeddingSize)
    {
        _lease = lease;
        _session = session;
        Latent = latent;
        Output = output;
        Classes = output.HasFlag(OutputKind.Probabilities) ? classes : 0;
        EmbeddingSize = output.HasFlag(OutputKind.Embedding) ? embeddingSize : 0;
        _inputs = latent.IsVariable ? [PartTensors.YHat, PartTensors.AttentionMask] : [PartTensors.YHat];
        _outputs = OnnxGraphContract.OutputsOf(output);
        OnnxGraphContract.Require(_session, path, _inputs, _outputs);
    }

    public LatentShape Latent { get; }
    public OutputKind Output { get; }
    public int Classes { get; }
    public int EmbeddingSize { get; }

    public SplitOutput Run(ReadOnlySpan<float> yHat, ReadOnlySpan<int> lengths, int paddedLength)
    {
        int n = lengths.Length;
        long[] shape = [n, .. Latent.Resolve(paddedLength).Select(d => (long)d)];
        using var y = OrtValue.CreateTensorValueFromMemory(yHat.ToArray(), shape);
        using var mask = Latent.IsVariable ? Mask(lengths, paddedLength) : null;
        using var outputs = _session.Run(_run, _inputs, mask is null ? [y] : [y, mask], _outputs);
        float[]? probabilities = null, embeddings = null;
        for (int i = 0; i < _outputs.Count; i++)
        {
            var values = outputs[i].GetTensorDataAsSpan<float>().ToArray();
            if (_outputs[i] == PartTensors.Probabilities)
            {
                probabilities = values;
            }
            else
            {
                embeddings = values;
            }
        }
        return new SplitOutput(probabilities, embeddings);
    }

    private static OrtValue Mask(ReadOnlySpan<int> lengths, int paddedLength)
    {
        var mask = new float[lengths.Length * paddedLength];
        for (int i = 0; i < lengths.Length; i++)
        {
            mask.AsSpan(i * paddedLength, lengths[i]).Fill(1);
        }
        return OrtValue.CreateTensorValueFromMemory(mask, [lengths.Length, paddedLength]);
    }

    public void Dispose()
    {
        _run.Dispose();
        _lease.Dispose();
    }
}
