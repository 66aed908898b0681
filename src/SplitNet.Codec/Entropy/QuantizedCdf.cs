namespace SplitNet.Codec.Entropy;

/// <summary>
/// Turns a probability mass function into the integer CDF the rANS coder uses, exactly as
/// CompressAI's <c>pmf_to_quantized_cdf</c> does, so tables built here match tables built there.
/// </summary>
public static class QuantizedCdf
{
    /// <summary>Coder precision in bits: the CDF runs from 0 to 2^16.</summary>
    public const int Precision = 16;
    public const int Total = 1 << Precision;

    /// <summary>
    /// Builds the CDF (length <c>pmf.Length + 1</c>) of <paramref name="pmf"/>, whose last entry is the
    /// escape (tail) mass. Every symbol gets a frequency of at least 1.
    /// </summary>
    /// <exception cref="ArgumentException">An entry is negative or not finite, or there are more than 2^16 − 1 entries.</exception>
    public static int[] FromPmf(ReadOnlySpan<float> pmf)
    {
        if (pmf.Length is 0 or >= Total)
        {
            throw new ArgumentException($"A pmf needs 1 to {Total - 1} entries, not {pmf.Length}.", nameof(pmf));
        }
        var cdf = new int[pmf.Length + 1];
        for (int i = 0; i < pmf.Length; i++)
        {
            var p = pmf[i];
            if (!float.IsFinite(p) || p < 0)
            {
                throw new ArgumentException($"pmf[{i}] = {p} is not a finite non-negative probability.", nameof(pmf));
            }
            // std::round in float: half away from zero.
            cdf[i + 1] = (int)MathF.Round(p * Total, MidpointRounding.AwayFromZero);
        }

        long total = 0;
        for (int i = 1; i < cdf.Length; i++)
        {
            total += cdf[i];
        }
        if (total == 0)
        {
            throw new ArgumentException("The pmf has no mass at 16-bit precision.", nameof(pmf));
        }
        for (int i = 1; i < cdf.Length; i++)
        {
            cdf[i] = (int)((long)Total * cdf[i] / total);
        }
        for (int i = 0; i < pmf.Length; i++)
        {
            cdf[i + 1] += cdf[i];
        }
        cdf[^1] = Total;

        // Zero-frequency repair: steal one count from the smallest frequency above 1.
        for (int i = 0; i < cdf.Length - 1; i++)
        {
            if (cdf[i] != cdf[i + 1])
            {
                continue;
            }
            int bestFrequency = int.MaxValue, steal = -1;
            for (int j = 0; j < cdf.Length - 1; j++)
            {
                int frequency = cdf[j + 1] - cdf[j];
                if (frequency > 1 && frequency < bestFrequency)
                {
                    bestFrequency = frequency;
                    steal = j;
                }
            }
            if (steal < i)
            {
                for (int j = steal + 1; j <= i; j++)
                {
                    cdf[j]--;
                }
            }
            else
            {
                for (int j = i + 1; j <= steal; j++)
                {
                    cdf[j]++;
                }
            }
        }
        return cdf;
    }
}
