using SplitNet.Models.Data;

namespace SplitNet.Training.Text;

/// <summary>The text data every text run and benchmark uses, fixed so their numbers compare.</summary>
public static class TextSplits
{
    /// <summary>Tokens per gloss at most: WordNet glosses are far shorter.</summary>
    public const int MaxTokens = 128;

    /// <summary>Share of noun synsets held out for testing, and the seed of that split.</summary>
    public const double TestShare = 0.1;
    public const int Seed = 1;

    /// <summary>
    /// WordNet's noun glosses, split by synset (<see cref="WordNet.Split"/>); the 25 noun
    /// supersenses, <c>noun.Tops</c> (a handful of unique beginners) left out.
    /// </summary>
    public static (IReadOnlyList<Synset> Train, IReadOnlyList<Synset> Test) NounGlosses(string directory)
    {
        var nouns = WordNet.Load(Path.Combine(directory, "data.noun")).Where(s => s.Category != "noun.Tops").ToArray();
        return WordNet.Split(nouns, TestShare, Seed);
    }
}
