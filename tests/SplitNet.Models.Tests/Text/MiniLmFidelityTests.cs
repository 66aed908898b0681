using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;
using SplitNet.Models.Text;
using static TorchSharp.torch;

namespace SplitNet.Models.Tests.Text;

/// <summary>all-MiniLM-L6-v2 imported into TorchSharp against ONNX Runtime on the same file and inputs.</summary>
public sealed class MiniLmFidelityTests(ITestOutputHelper output)
{
    private static readonly long[][] Sentences =
    [
        [101, 7592, 2088, 102],
        [101, 1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 1012, 102],
        [101, 102],
        [101, 2023, 2003, 1037, 2936, 6251, 2007, 2062, 19204, 2015, 2000, 13366, 1996, 2039, 4118, 1997, 1996, 2944, 1012, 102],
    ];

    [Fact]
    public void ImportedMiniLm_EqualsOnnxRuntime_OnAPaddedBatch()
    {
        var (path, _) = MiniLmPackage.Locate();
        int batch = Sentences.Length, length = Sentences.Max(s => s.Length);
        var ids = new long[batch * length];
        var mask = new long[batch * length];
        for (int b = 0; b < batch; b++)
        {
            Sentences[b].CopyTo(ids, b * length);
            Array.Fill(mask, 1, b * length, Sentences[b].Length);
        }

        float[] expected;
        using (var session = new InferenceSession(path))
        {
            int[] shape = [batch, length];
            using var outputs = session.Run(
            [
                NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
                NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, shape)),
                NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[ids.Length], shape)),
            ]);
            expected = [.. outputs.First(o => o.Name == "last_hidden_state").AsTensor<float>()];
        }

        using var model = BertOnnxImport.Load(path, BertConfig.MiniLmL6);
        using var _ = no_grad();
        using var idTensor = tensor(ids, [batch, length]);
        using var maskTensor = tensor(mask, [batch, length]);
        using var hidden = model.call(idTensor, maskTensor);
        var actual = hidden.data<float>().ToArray();

        double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= 1e-4, $"max |TorchSharp − ONNX Runtime| = {worst:E2}");
        using var reference = tensor(expected, [batch, length, 384]);
        using var ours = BertModel.MeanPool(hidden, maskTensor);
        using var theirs = BertModel.MeanPool(reference, maskTensor);
        using var cosine = (ours * theirs).sum(1);
        output.WriteLine($"max |TorchSharp − ONNX Runtime| {worst:E2}; lowest sentence cosine {cosine.min().item<float>():F7}");
        Assert.True(cosine.min().item<float>() >= 0.9999f, $"sentence cosine {cosine.min().item<float>()}");
    }
}
