using SplitNet.Models.Text;

namespace SplitNet.Models.Tests.Text;

public sealed class WordPieceTokenizerTests
{
    private static readonly string Vocabulary = MiniLmPackage.Locate().Vocabulary;
    private static readonly string[] Pieces = File.ReadAllLines(Vocabulary);
    private static long Id(string piece) => Array.IndexOf(Pieces, piece);

    [Fact]
    public void Encode_PunctuationAndEmoji_GiveHuggingFacesIds()
    {
        // The ids Hugging Face's tokenizers documents for this sentence with the uncased BERT vocabulary.
        long[] expected = [101, 7592, 1010, 1061, 1005, 2035, 999, 2129, 2024, 2017, 100, 1029, 102];

        Assert.Equal(expected, new WordPieceTokenizer(Vocabulary).Encode("Hello, y'all! How are you 😁 ?"));
    }

    [Fact]
    public void Encode_AccentsAndCase_AreFoldedAwayAndRareWordsSplitIntoPieces()
    {
        var tokenizer = new WordPieceTokenizer(Vocabulary);

        Assert.Equal([101, Id("cafe"), 102], tokenizer.Encode("CAFÉ"));
        Assert.Equal(tokenizer.Encode("naive resume"), tokenizer.Encode("Naïve Résumé"));
        var pieces = tokenizer.Encode("hyperparameterisation")[1..^1];
        Assert.True(pieces.Length > 1);
        Assert.All(pieces.Skip(1), id => Assert.StartsWith("##", Pieces[id]));
    }

    [Fact]
    public void Encode_LongInput_IsCutToMaxTokensEndingWithSep()
    {
        var tokenizer = new WordPieceTokenizer(Vocabulary, maxTokens: 16);

        var ids = tokenizer.Encode(string.Join(' ', Enumerable.Repeat("dog", 100)));

        Assert.Equal(16, ids.Length);
        Assert.Equal(WordPieceTokenizer.Cls, ids[0]);
        Assert.Equal(WordPieceTokenizer.Sep, ids[^1]);
        Assert.All(ids[1..^1], id => Assert.Equal(Id("dog"), id));
    }
}
