using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using SplitNet.Models.Bundles;
using SplitNet.Models.Split;
using SplitNet.Models.Student;
using SplitNet.Models.Text;
using SplitNet.Onnx.Format;

namespace SplitNet.Models.Export;

/// <summary>
/// Exports every rate level of a split model's edge and server bundles to ONNX, for the ONNX
/// Runtime backend: <c>level{N}.edge.onnx</c> beside the edge manifest (input → int32 symbols) and
/// <c>level{N}.server.onnx</c> beside the server manifest (ŷ → outputs), then records each file and
/// its SHA-256 in both manifests. Families: the Entropic Student, its variable-rate ladder (one
/// <c>ladder.edge.onnx</c> and one <c>ladder.server.onnx</c> for every level, as the levels share
/// one student) and the MiniLM token bottleneck.
/// </summary>
public static class SplitModelOnnxExport
{
    /// <summary>Exports both bundles' levels and rewrites both manifests; returns the levels as recorded.</summary>
    /// <exception cref="NotSupportedException">The family has no ONNX export; the message names the manifest.</exception>
    /// <exception cref="InvalidDataException">A bundle does not load or the two do not belong together; the message names the file.</exception>
    /// <exception cref="IOException">A file cannot be written; the message names it.</exception>
    public static IReadOnlyList<RateLevelManifest> Export(string edgeDirectory, string serverDirectory)
    {
        var declared = SplitModelBundle.ReadManifest(edgeDirectory, out var edgeManifestPath);
        if (declared.Family is not (EntropicStudentFamily.FamilyName or EntropicLadderFamily.FamilyName or TextSplitFamily.FamilyName))
        {
            throw new NotSupportedException($"{edgeManifestPath}: family '{declared.Family}' has no ONNX export " +
                $"(only {EntropicStudentFamily.FamilyName}, {EntropicLadderFamily.FamilyName} and {TextSplitFamily.FamilyName})");
        }
        using var edge = SplitModel.Load(edgeDirectory, BundleSide.Edge, TorchFamilies.All);
        using var server = SplitModel.Load(serverDirectory, BundleSide.Server, TorchFamilies.All);
        var serverManifestPath = Path.Combine(serverDirectory, SplitModelBundle.ManifestFile);
        if (server.Id != edge.Id || server.Manifest.Levels.Count != edge.Manifest.Levels.Count
            || server.Manifest.Levels.Zip(edge.Manifest.Levels).Any(p => p.First.TablesSha256 != p.Second.TablesSha256))
        {
            throw new InvalidDataException($"{serverManifestPath}: not the server bundle of {edgeManifestPath} (model id, levels or tables differ)");
        }

        var exported = new Dictionary<int, (OnnxPartFile Edge, OnnxPartFile Server)>();
        if (edge.IsEmbedded)
        {
            var edgeFile = Write(edgeDirectory, "ladder.edge.onnx", () => EdgeGraph(edge.Manifest, edge.Levels[0].Edge!, $"{edge.Id} edge", edgeManifestPath));
            var serverFile = Write(serverDirectory, "ladder.server.onnx", () => ServerGraph(server.Levels[0].Server!, $"{edge.Id} server"));
            foreach (var level in edge.Manifest.Levels)
            {
                exported[level.Level] = (edgeFile, serverFile);
            }
            Record(edgeManifestPath, exported);
            return Record(serverManifestPath, exported);
        }
        for (int i = 0; i < edge.Levels.Count; i++)
        {
            string name = $"{edge.Id} level {i}";
            var edgeFile = Write(edgeDirectory, $"level{i}.edge.onnx", () => EdgeGraph(edge.Manifest, edge.Levels[i].Edge!, $"{name} edge", edgeManifestPath));
            var serverFile = Write(serverDirectory, $"level{i}.server.onnx", () => ServerGraph(server.Levels[i].Server!, $"{name} server"));
            exported[edge.Manifest.Levels[i].Level] = (edgeFile, serverFile);
        }
        Record(edgeManifestPath, exported);
        return Record(serverManifestPath, exported);
    }

    private static ModelProto EdgeGraph(SplitModelManifest manifest, IEdgePart part, string graphName, string manifestPath) => part switch
    {
        StudentEdgePart student => manifest.Normalization is [var mean, var std]
            ? StudentOnnxExport.Edge(student.Student, mean, std, graphName)
            : throw new InvalidDataException($"{manifestPath}: an image model needs normalization [mean, std]"),
        TextEdgePart text => TextOnnxExport.Edge(text.Bert, text.Bottleneck, graphName),
        _ => throw new NotSupportedException($"{manifestPath}: no ONNX export for a {part.GetType().Name}"),
    };

    private static ModelProto ServerGraph(IServerPart part, string graphName) => part switch
    {
        StudentServerPart student => StudentOnnxExport.Server(student.Student, graphName),
        TextServerPart text => TextOnnxExport.Server(text.Bert, text.Weights, graphName),
        _ => throw new NotSupportedException($"{graphName}: no ONNX export for a {part.GetType().Name}"),
    };

    private static OnnxPartFile Write(string directory, string file, Func<ModelProto> graph)
    {
        var path = Path.Combine(directory, file);
        ModelProto model;
        try
        {
            model = graph();
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"{path}: cannot export this part to ONNX ({e.Message})", e);
        }
        try
        {
            using (var stream = File.Create(path))
            {
                model.WriteTo(stream);
            }
            return new OnnxPartFile(file, BundleJson.Sha256(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{path}: cannot write the ONNX export ({e.Message})", e);
        }
    }

    /// <summary>
    /// Sets each level's ONNX files in a manifest and rewrites it; edited as JSON, so every other
    /// field keeps its place and text. Returns the levels as read back.
    /// </summary>
    private static IReadOnlyList<RateLevelManifest> Record(string manifestPath, Dictionary<int, (OnnxPartFile Edge, OnnxPartFile Server)> exported)
    {
        try
        {
            var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
            foreach (var level in manifest["levels"]!.AsArray().Select(l => l!.AsObject()))
            {
                var (edge, server) = exported[level["level"]!.GetValue<int>()];
                level["edge_onnx"] = JsonSerializer.SerializeToNode(edge, BundleJson.Options);
                level["server_onnx"] = JsonSerializer.SerializeToNode(server, BundleJson.Options);
            }
            BundleJson.Write(manifestPath, manifest);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{manifestPath}: cannot rewrite the manifest ({e.Message})", e);
        }
        return BundleJson.Read<SplitModelManifest>(manifestPath).Levels;
    }
}
