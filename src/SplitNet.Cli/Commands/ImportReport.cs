using System.Globalization;
using System.Text;
using SplitNet.Evaluation;
using SplitNet.Models.Bundles;

namespace SplitNet.Cli.Commands;

/// <summary>The committed figures of <c>splitnet import onnx --report</c>: per cut and codec, edge MACs, bytes per frame and the distance to the unsplit model.</summary>
internal static class ImportReport
{
    public static void Write(ImportOnnxSettings settings, OnnxSplitManifest manifest, string photos, IReadOnlyList<ImportCheckRow> rows, string directory)
    {
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(c, $"# Imported ONNX model: {manifest.ModelId}").AppendLine();
        md.AppendLine(c, $"`splitnet import onnx --model {Path.GetFileName(settings.Model)} {string.Join(" ", settings.Cuts.Select(t => $"--cut {t}"))} --channel-order {settings.ChannelOrder} --mean {string.Join(",", settings.Mean.Select(m => m.ToString(c)))} --count {settings.Count}`: ")
            .AppendLine(c, $"cut without training, served on loopback gRPC and checked on {rows[0].Frames} photos from `{photos}` against the unsplit model in ONNX Runtime (source SHA-256 `{manifest.Source.Sha256}`).").AppendLine();
        md.AppendLine("| cut | tensor | shape | codec | edge MACs | bytes/frame | answered | max abs. difference | min cosine |").AppendLine("|---:|---|---|---|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            var shape = string.Join("×", manifest.Cuts[r.Cut].Shape);
            md.AppendLine(c, $"| {r.Cut} | {r.Tensor} | {shape} | {r.Codec} | {r.EdgeMacs / 1e6:F0} M | {r.BytesPerFrame:N0} | {r.Answered}/{r.Frames} | {r.MaxAbsDifference:0.0e0} | {r.MinCosine:F6} |");
        }
        var plot = ReportCharts.BytesScatter(rows, r => r.Codec, r => r.BytesPerFrame, r => r.EdgeMacs / 1e6, joined: true, markerSize: 9,
            "bytes per frame (log scale)", "edge M MACs", $"{manifest.ModelId}: cuts after each stage, naive codecs");
        foreach (var path in ReportWriter.Write("onnx-import", directory, md.ToString(), new { model = manifest.ModelId, source_sha256 = manifest.Source.Sha256, photos, rows }, plot))
        {
            Console.Error.WriteLine($"wrote {path}");
        }
    }
}
