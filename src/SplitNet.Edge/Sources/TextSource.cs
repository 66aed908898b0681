using SplitNet.Models.Data;
using SplitNet.Models.Split;
using SplitNet.Models.Text;

namespace SplitNet.Edge.Sources;

/// <summary>
/// Sentences as an edge's frames, tokenized once when the source is made: the lines of a file or
/// of standard input (blank lines skipped), or WordNet glosses labelled with their category.
/// </summary>
public sealed class TextSource : IFrameSource
{
    private readonly int[][] _tokens;
    private readonly int[] _labels;

    private TextSource(string name, IReadOnlyList<string> sentences, IReadOnlyList<int> labels, WordPieceTokenizer tokenizer)
    {
        Name = name;
        Sentences = sentences;
        _tokens = [.. sentences.Select(s => tokenizer.Encode(s).Select(t => (int)t).ToArray())];
        _labels = [.. labels];
    }

    public string Name { get; }
    public int Count => _tokens.Length;
    public IReadOnlyList<string> Sentences { get; }

    public SplitInput Input(int index) => SplitInput.Sentence(Sentences[index], _tokens[index]);
    public int Label(int index) => _labels[index];

    /// <summary>Every non-blank line of <paramref name="reader"/> (a file, or standard input), unlabelled.</summary>
    public static TextSource FromLines(TextReader reader, string name, WordPieceTokenizer tokenizer)
    {
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            if (!string.IsNullOrWhiteSpace(line))
            {
                lines.Add(line.Trim());
            }
        }
        if (lines.Count == 0)
        {
            throw new InvalidDataException($"{name}: no sentences (every line is blank)");
        }
        return new TextSource(name, lines, [.. Enumerable.Repeat(-1, lines.Count)], tokenizer);
    }

    /// <summary>The glosses of a WordNet data file, each labelled with its category's index in <paramref name="categories"/> (−1 when not among them).</summary>
    public static TextSource FromWordNet(string path, IReadOnlyList<string> categories, WordPieceTokenizer tokenizer)
    {
        var synsets = WordNet.Load(path);
        var index = categories.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        return new TextSource(path, [.. synsets.Select(s => s.Gloss)], [.. synsets.Select(s => index.GetValueOrDefault(s.Category, -1))], tokenizer);
    }
}
