using System.Globalization;
using System.Text;

namespace SplitNet.Models.Data;

/// <summary>One synset of WordNet: its lemmas, its gloss and its lexicographer file (the category).</summary>
/// <param name="Offset">The byte offset of its line in the data file: the synset's id.</param>
/// <param name="LexFile">Lexicographer file number (3–28 are the 26 noun supersenses).</param>
public sealed record Synset(long Offset, int LexFile, IReadOnlyList<string> Lemmas, string Gloss)
{
    /// <summary>The lexicographer file's name, such as <c>noun.animal</c>.</summary>
    public string Category => WordNet.LexicographerFiles[LexFile];
}

/// <summary>
/// WordNet 3.0 data files (Debian <c>wordnet-base</c>, <c>/usr/share/wordnet/data.noun</c> and
/// <c>data.verb</c>; Latin-1). A line: synset offset, lexicographer file number, synset type, word
/// count (two hex digits), each word with its lexical id, pointer count, pointers, for verbs the
/// frames, then <c>| gloss</c>. Lines starting with two spaces are the licence.
/// </summary>
public static class WordNet
{
    public const string DebianDirectory = "/usr/share/wordnet";

    /// <summary>The lexicographer files by number, as WordNet's <c>lexnames</c> lists them.</summary>
    public static readonly IReadOnlyList<string> LexicographerFiles =
    [
        "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact", "noun.attribute",
        "noun.body", "noun.cognition", "noun.communication", "noun.event", "noun.feeling", "noun.food", "noun.group",
        "noun.location", "noun.motive", "noun.object", "noun.person", "noun.phenomenon", "noun.plant", "noun.possession",
        "noun.process", "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
        "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition", "verb.consumption",
        "verb.contact", "verb.creation", "verb.emotion", "verb.motion", "verb.perception", "verb.possession",
        "verb.social", "verb.stative", "verb.weather", "adj.ppl",
    ];

    /// <summary>Reads every synset of a data file.</summary>
    /// <exception cref="InvalidDataException">A line is malformed; the message names the file and the line.</exception>
    public static IReadOnlyList<Synset> Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no WordNet data file (Debian: apt install wordnet-base)", path);
        }
        var synsets = new List<Synset>();
        int number = 0;
        foreach (var line in File.ReadLines(path, Encoding.Latin1))
        {
            number++;
            if (line.StartsWith("  ", StringComparison.Ordinal) || line.Length == 0)
            {
                continue;
            }
            synsets.Add(Parse(line) ?? throw new InvalidDataException($"{path}:{number}: not a WordNet synset line ({Excerpt(line)})"));
        }
        return synsets;
    }

    private static Synset? Parse(string line)
    {
        int bar = line.IndexOf(" | ", StringComparison.Ordinal);
        if (bar < 0)
        {
            return null;
        }
        var fields = line[..bar].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 4
            || !long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out long offset)
            || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int lexFile) || lexFile >= LexicographerFiles.Count
            || !int.TryParse(fields[3], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int words) || words == 0)
        {
            return null;
        }
        int pointersAt = 4 + 2 * words;
        if (fields.Length <= pointersAt
            || !int.TryParse(fields[pointersAt], NumberStyles.None, CultureInfo.InvariantCulture, out int pointers)
            || fields.Length < pointersAt + 1 + 4 * pointers)
        {
            return null;
        }
        var lemmas = new string[words];
        for (int w = 0; w < words; w++)
        {
            if (fields[5 + 2 * w] is not { Length: 1 } id || !char.IsAsciiHexDigit(id[0]))
            {
                return null;
            }
            // Adjectives carry a marker such as "(a)"; underscores join the words of a collocation.
            var lemma = fields[4 + 2 * w];
            int marker = lemma.IndexOf('(', StringComparison.Ordinal);
            lemmas[w] = (marker > 0 ? lemma[..marker] : lemma).Replace('_', ' ');
        }
        return new Synset(offset, lexFile, lemmas, line[(bar + 3)..].Trim());
    }

    /// <summary>
    /// A fixed split by synset: a synset is in the test part when a seeded hash of its offset
    /// falls under <paramref name="testShare"/>, so the split never depends on file order or on
    /// which other synsets are loaded.
    /// </summary>
    public static (IReadOnlyList<Synset> Train, IReadOnlyList<Synset> Test) Split(IReadOnlyList<Synset> synsets, double testShare, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(testShare);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(testShare, 1);
        var train = new List<Synset>();
        var test = new List<Synset>();
        foreach (var synset in synsets)
        {
            (Unit(synset.Offset, seed) < testShare ? test : train).Add(synset);
        }
        return (train, test);
    }

    // SplitMix64 of offset and seed, to [0, 1).
    private static double Unit(long offset, int seed)
    {
        ulong z = (ulong)offset * 0x9E3779B97F4A7C15UL + (ulong)seed;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (z ^ (z >> 31)) / 18446744073709551616.0;
    }

    private static string Excerpt(string line) => line.Length <= 60 ? line : line[..60] + "…";
}
