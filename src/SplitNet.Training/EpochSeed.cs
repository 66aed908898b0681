namespace SplitNet.Training;

/// <summary>The seed of an epoch's data order and augmentation.</summary>
internal static class EpochSeed
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>
    /// A seed that depends on (<paramref name="seed"/>, <paramref name="stage"/>, <paramref name="epoch"/>)
    /// alone. <see cref="HashCode.Combine{T1, T2}"/> cannot serve: it is randomised per process, so a
    /// run resumed in a new process would see other data than the run it continues.
    /// </summary>
    public static int Of(int seed, int stage, int epoch)
    {
        ulong x = ((uint)seed * Golden + (uint)stage) * Golden + (uint)epoch;
        // SplitMix64's finaliser, so neighbouring epochs get unrelated seeds.
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return (int)(x ^ (x >> 31));
    }
}
