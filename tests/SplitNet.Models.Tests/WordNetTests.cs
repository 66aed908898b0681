using System.Text;
using SplitNet.Models.Data;

namespace SplitNet.Models.Tests;

public sealed class WordNetTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"splitnet-wordnet-{Guid.NewGuid():N}.noun");

    // Two licence lines, then synsets as data.noun and data.verb lay them out (Latin-1).
    private const string Data =
        "  1 This software and database is being provided to you, the LICENSEE, by\n" +
        "  2 Princeton University under the following license.\n" +
        "00015388 03 n 01 animal 0 002 @ 00004475 n 0000 ~ 01317541 n 0000 | a living organism characterized by voluntary movement\n" +
        "02084071 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 001 @ 02083346 n 0000 | a member of the genus Canis; \"the dog barked all night\"\n" +
        "01835496 38 v 01 travel 0 001 @ 01831531 v 0000 02 + 08 00 + 09 00 | change location; move, travel, or proceed\n" +
        "00004475 03 n 01 pâté 0 000 | a spread made of liver\n";

    private void Write(string text) => File.WriteAllText(_path, text, Encoding.Latin1);

    [Fact]
    public void Load_ReadsLemmasGlossAndCategoryOfEverySynsetSkippingTheLicence()
    {
        Write(Data);

        var synsets = WordNet.Load(_path);

        Assert.Equal([15388L, 2084071, 1835496, 4475], synsets.Select(s => s.Offset));
        var dog = synsets[1];
        Assert.Equal(["dog", "domestic dog", "Canis familiaris"], dog.Lemmas);
        Assert.Equal("noun.animal", dog.Category);
        Assert.Equal("a member of the genus Canis; \"the dog barked all night\"", dog.Gloss);
        Assert.Equal("verb.motion", synsets[2].Category);
        Assert.Equal("pâté", synsets[3].Lemmas.Single());
    }

    [Theory]
    [InlineData("02084071 05 n 03 dog 0 001 @ 02083346 n 0000 | too few words\n")]
    [InlineData("02084071 99 n 01 dog 0 000 | no such lexicographer file\n")]
    [InlineData("02084071 05 n 01 dog 0 000 no gloss separator\n")]
    public void Load_MalformedLine_NamesTheFileAndTheLine(string line)
    {
        Write(Data + line);

        var error = Assert.Throws<InvalidDataException>(() => WordNet.Load(_path));

        Assert.StartsWith($"{_path}:7:", error.Message);
    }

    [Fact]
    public void Split_IsFixedBySynsetAndSeed()
    {
        var synsets = Enumerable.Range(0, 4000).Select(i => new Synset(1000L + 37 * i, 5, ["x"], "g")).ToArray();

        var (train, test) = WordNet.Split(synsets, 0.25, seed: 1);
        var (_, again) = WordNet.Split(synsets.Reverse().ToArray(), 0.25, seed: 1);
        var (_, other) = WordNet.Split(synsets, 0.25, seed: 2);

        Assert.Equal(synsets.Length, train.Count + test.Count);
        Assert.InRange(test.Count, 900, 1100);
        Assert.Equal(test.Select(s => s.Offset).Order(), again.Select(s => s.Offset).Order());
        Assert.NotEqual(test.Select(s => s.Offset), other.Select(s => s.Offset));
    }

    [Fact]
    public void ShippedSample_Is300HeldOutNounSynsetsWithTheLicence()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "assets", "wordnet-sample", "data.noun");

        var synsets = WordNet.Load(path);
        var (train, test) = WordNet.Split(synsets, Training.Text.TextSplits.TestShare, Training.Text.TextSplits.Seed);

        Assert.Equal(300, synsets.Count);
        Assert.Empty(train);
        Assert.All(synsets, s => Assert.StartsWith("noun.", s.Category));
        Assert.True(synsets.Select(s => s.Category).Distinct().Count() > 15, "the sample covers most categories");
        Assert.Contains("Princeton University", File.ReadLines(path, Encoding.Latin1).First(l => l.StartsWith("  2 ", StringComparison.Ordinal)));
    }

    [Fact]
    public void DebianNouns_SplitIntoTheDocumentedSetsOverTheHeadsCategories()
    {
        var (train, test) = Training.Text.TextSplits.NounGlosses(WordNet.DebianDirectory);

        // wordnet-base 3.0: 82,115 noun synsets, of which 51 in noun.Tops.
        Assert.Equal(82_115 - 51, train.Count + test.Count);
        Assert.InRange(test.Count, 7_800, 8_600);
        Assert.Equal(Training.Text.CategoryHead.Labels.Order(), test.Select(s => s.Category).Distinct().Order());
        Assert.All(test.Take(500), s => Assert.InRange(Training.Text.CategoryHead.Label(s), 0, 24));
    }

    public void Dispose() => File.Delete(_path);
}
