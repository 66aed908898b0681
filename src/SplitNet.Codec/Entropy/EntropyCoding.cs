namespace SplitNet.Codec.Entropy;

/// <summary>What both rANS streams share: table checks and CompressAI's escape mapping.</summary>
internal static class EntropyCoding
{
    private const int BypassBits = 4;

    public static void CheckTables(int symbols, int elementsPerIndex, CdfTable table)
    {
        if (!TablesCover(symbols, elementsPerIndex, table, out var error))
        {
            throw new ArgumentException(error);
        }
    }

    public static bool TablesCover(int symbols, int elementsPerIndex, CdfTable table, out string? error)
    {
        if (elementsPerIndex <= 0 || (symbols + (long)elementsPerIndex - 1) / elementsPerIndex > table.Count)
        {
            error = $"{symbols} symbols at {elementsPerIndex} per table need more than the {table.Count} tables";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>
    /// Maps a symbol to its table entry: itself, or the escape entry <paramref name="max"/> with a
    /// raw value (−2v−1 below the table, 2(v−max) above it, as CompressAI) of <paramref name="nibbles"/> nibbles.
    /// </summary>
    public static int Split(int symbol, int offset, int max, int position, out long raw, out int nibbles)
    {
        long value = (long)symbol - offset;
        raw = 0;
        nibbles = 0;
        if (value >= 0 && value < max)
        {
            return (int)value;
        }
        raw = value < 0 ? -2 * value - 1 : 2 * (value - max);
        if (raw > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(symbol), $"Symbol {symbol} at {position} is too far from its table to escape.");
        }
        while ((raw >> (BypassBits * nibbles)) != 0)
        {
            nibbles++;
        }
        return max;
    }

    /// <summary>The table-relative value of an escaped symbol from its raw value.</summary>
    public static long Unescape(ulong raw, int max)
    {
        long half = (long)(raw >> 1);
        return (raw & 1) != 0 ? -half - 1 : half + max;
    }

    public static bool TryStore(long symbol, Span<int> symbols, int position, out string? error)
    {
        if (symbol is < int.MinValue or > int.MaxValue)
        {
            error = $"symbol {position} overflows 32 bits";
            return false;
        }
        symbols[position] = (int)symbol;
        error = null;
        return true;
    }

    public static bool Finished(bool backAtInitialState, int unread, out string? error)
    {
        error = !backAtInitialState ? "final coder state is not the initial state: corrupt stream"
            : unread != 0 ? $"{unread} trailing bytes after the last symbol"
            : null;
        return error is null;
    }
}
