using SplitNet.Models.Data;
using static TorchSharp.torch;

namespace SplitNet.Models.Teacher;

/// <summary>Top-1 accuracy of a classifier over a labelled set.</summary>
public static class TeacherEvaluation
{
    /// <summary>Predicted class of every image, in order.</summary>
    public static int[] Predict(TeacherNet model, LabeledImages images, int batchSize = 500, IProgress<int>? progress = null)
    {
        model.eval();
        var predictions = new int[images.Count];
        using var _ = inference_mode();
        for (int start = 0; start < images.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, images.Count - start);
            using var scope = NewDisposeScope();
            var logits = model.call(ImageTensors.Batch(images, start, count));
            var top = logits.argmax(1).to(ScalarType.Int32).data<int>().ToArray();
            top.CopyTo(predictions, start);
            progress?.Report(start + count);
        }
        return predictions;
    }

    /// <summary>Fraction of <paramref name="predictions"/> equal to the labels.</summary>
    public static double Accuracy(ReadOnlySpan<int> predictions, ReadOnlySpan<byte> labels)
    {
        int correct = 0;
        for (int i = 0; i < predictions.Length; i++)
        {
            if (predictions[i] == labels[i])
            {
                correct++;
            }
        }
        return predictions.Length == 0 ? 0 : (double)correct / predictions.Length;
    }
}
