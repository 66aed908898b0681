using System.Globalization;
using System.Text;
using FastBertTokenizer;

namespace SplitNet.Models.Text;

/// <summary>
/// The uncased WordPiece tokenizer all-MiniLM-L6-v2 was trained with: lower-cased, accents
/// stripped, split on whitespace and punctuation, then greedy longest-match word pieces from the
/// vocabulary; <c>[CLS]</c> first and <c>[SEP]</c> last. Longer input is cut to
/// <see cref="MaxTokens"/> tokens, <c>[SEP]</c> included (sentence-transformers cuts this model at
/// 256). FastBertTokenizer does the splitting; text is folded first as Hugging Face's uncased
/// tokenizer does (lower case, canonical decomposition, combining marks dropped: <c>café</c> is
/// <c>cafe</c>, not <c>[UNK]</c>), which needs ICU, so SplitNet does not run in invariant
/// globalization mode. FastBertTokenizer is not thread-safe, so calls take a lock (about 2 µs a sentence).
/// </summary>
public sealed class WordPieceTokenizer
{
    public const int DefaultMaxTokens = 256;
    public const long Cls = 101, Sep = 102, Pad = 0;

    private readonly BertTokenizer _tokenizer = new();
    private readonly object _gate = new();

    /// <param name="vocabulary">A <c>vocab.txt</c>: one piece per line, the line number its id.</param>
    public WordPieceTokenizer(string vocabulary, int maxTokens = DefaultMaxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 2);
        MaxTokens = maxTokens;
        using var reader = File.OpenText(vocabulary);
        _tokenizer.LoadVocabulary(reader, true);
    }

    public int MaxTokens { get; }

    /// <summary>The token ids of <paramref name="text"/>, <c>[CLS]</c> … <c>[SEP]</c>, at most <see cref="MaxTokens"/>.</summary>
    public long[] Encode(string text)
    {
        lock (_gate)
        {
            var (ids, _, _) = _tokenizer.Encode(Fold(text), MaxTokens);
            return ids.ToArray();
        }
    }

    /// <summary>Lower case, then NFD with the nonspacing marks removed (Hugging Face's <c>_run_strip_accents</c>).</summary>
    private static string Fold(string text)
    {
        var decomposed = text.ToLowerInvariant().Normalize(NormalizationForm.FormD);
        var folded = new StringBuilder(decomposed.Length);
        foreach (char c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                folded.Append(c);
            }
        }
        return folded.ToString();
    }
}
