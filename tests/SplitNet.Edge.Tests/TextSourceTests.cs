using SplitNet.Edge.Sources;
using SplitNet.Models.Split;
using SplitNet.Models.Text;

namespace SplitNet.Edge.Tests;

public sealed class TextSourceTests
{
    private static readonly WordPieceTokenizer Tokenizer = new(MiniLmPackage.Locate().Vocabulary, maxTokens: 32);

    [Fact]
    public void FromLines_SkipsBlankLinesAndGivesTokenInputsWithNoLabel()
    {
        var source = TextSource.FromLines(new StringReader("hello world\n\n   \nthe quick brown fox\n"), "stdin", Tokenizer);

        Assert.Equal(2, source.Count);
        Assert.Equal(["hello world", "the quick brown fox"], source.Sentences);
        var first = source.Input(0);
        Assert.Equal(InputKind.Tokens, first.Kind);
        Assert.Equal([101, 7592, 2088, 102], first.Tokens.ToArray());
        Assert.Equal(-1, source.Label(1));
    }

    [Fact]
    public void FromLines_NothingButBlanks_NamesTheSource()
    {
        var error = Assert.Throws<InvalidDataException>(() => TextSource.FromLines(new StringReader("\n \n"), "notes.txt", Tokenizer));
        Assert.StartsWith("notes.txt:", error.Message);
    }

    [Fact]
    public void FromWordNet_ShippedSample_LabelsGlossesWithTheirCategory()
    {
        string[] categories = ["noun.act", "noun.artifact"];
        var path = Path.Combine(AppContext.BaseDirectory, "assets", "wordnet-sample", "data.noun");

        var source = TextSource.FromWordNet(path, categories, Tokenizer);

        Assert.Equal(300, source.Count);
        Assert.Contains(0, Enumerable.Range(0, source.Count).Select(source.Label));
        Assert.Contains(1, Enumerable.Range(0, source.Count).Select(source.Label));
        Assert.Contains(-1, Enumerable.Range(0, source.Count).Select(source.Label));
        Assert.All(Enumerable.Range(0, source.Count), i => Assert.InRange(source.Input(i).Tokens.Length, 3, 32));
    }
}
