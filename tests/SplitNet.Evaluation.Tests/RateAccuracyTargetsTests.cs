namespace SplitNet.Evaluation.Tests;

public sealed class RateAccuracyTargetsTests
{
    private static readonly RateAccuracyRow[] Rows =
    [
        new("es", "0.01", 0.85, 14, 8, 10, 1),
        new("es", "0.001", 0.937, 30, 24, 27, 1),
        new("es", "0.0001", 0.944, 60, 55, 57, 1),
        new("student (plain)", "4", 0.86, 40, 30, 37, 1),
        new("ladder", "0.01 (1/2 ch)", 0.81, 9, 5, 7.5, 1),
        new("ladder", "0.001 (2/2 ch)", 0.93, 40, 33, 36, 1, OneStreamBytesPerImage: 34.5),
        new("light", "0.01", 0.80, 9, 5, 7.5, 2),
        new("teacher", "raw", 0.947, 784),
        new("split-affine8-lz4", "stage2", 0.947, 9300),
        new("webp-lossless", "100", 0.947, 570),
        new("webp", "q50", 0.94, 240),
        new("jpeg", "q90", 0.94, 570),
    ];

    [Fact]
    public void Compute_ReadsTheFirstEntropicCurveAgainstTheBaselines()
    {
        var targets = RateAccuracyTargets.Compute(Rows)!;

        Assert.Equal("es", targets.Curve);
        Assert.Equal(30, targets.BytesWithinOnePoint);
        Assert.Equal(27, targets.CompactBytesWithinOnePoint);
        Assert.Equal((0.944, 60.0), (targets.BestAccuracy, targets.BestAccuracyBytes));
        Assert.Equal(0.85, targets.AccuracyAtTwelveBytes);
        Assert.Equal(570 / 30.0, targets.WebpLosslessRatio!.Value, 9);
        Assert.Equal(240 / 30.0, targets.LossyCodecRatio!.Value, 9);
        Assert.Equal(9300 / 60.0, targets.NaiveSplitRatio!.Value, 9);
        Assert.Equal(1.005 * 8 + 16 - 14, targets.WorstOverheadMargin, 9);
        Assert.Null(targets.AccuracyAtEightBytes);
        Assert.Null(targets.SegmentOverhead);
        Assert.Contains(targets.MarkdownLines(), l => l.Contains("target ≤ 32 B: met", StringComparison.Ordinal));
        Assert.DoesNotContain(targets.MarkdownLines(), l => l.Contains("segmenting", StringComparison.Ordinal));
        // Rungs of a ladder and students with another encoder are no single-rate reference.
        var reference = Assert.Single(targets.References);
        Assert.Equal(("student (plain)", 0.937 + 0.007 * 10 / 30), (reference.Method, reference.CurveAccuracy!.Value));
        Assert.Contains(targets.MarkdownLines(), l => l.Contains("this curve has 93.93 % at the same bytes, 7.93 points above it (target ≤ 0.5 below: met)", StringComparison.Ordinal));
    }

    private sealed class ReferenceComparer : IEqualityComparer<(string, double, double?)>
    {
        public bool Equals((string, double, double?) x, (string, double, double?) y) =>
            x.Item1 == y.Item1 && x.Item2 == y.Item2 && (x.Item3 is null ? y.Item3 is null : y.Item3 is not null && Math.Abs(x.Item3.Value - y.Item3.Value) < 1e-9);

        public int GetHashCode((string, double, double?) obj) => obj.Item1.GetHashCode(StringComparison.Ordinal);
    }

    [Fact]
    public void Compute_NamedVariableRateCurve_ReadsItsLowRateAndSegmentingOverhead()
    {
        var targets = RateAccuracyTargets.Compute(Rows, "ladder")!;

        Assert.Equal("ladder", targets.Curve);
        Assert.Null(targets.BytesWithinOnePoint);
        Assert.Equal(0.81, targets.AccuracyAtEightBytes);
        Assert.Equal(0.81, targets.AccuracyAtTwelveBytes);
        Assert.Equal(1.5, targets.SegmentOverhead!.Value, 9);
        Assert.Contains(targets.MarkdownLines(), l => l.Contains("1.50 B per frame (target ≤ 3 B: met)", StringComparison.Ordinal));
        Assert.Contains(targets.MarkdownLines(), l => l.Contains("at ≤ 8 B (compact stream): 81.00 % (target ≥ 80 %: met)", StringComparison.Ordinal));
        Assert.Equal(
            [("es", 10.0, (double?)(0.81 + 0.12 * 2.5 / 28.5)), ("es", 27, 0.81 + 0.12 * 19.5 / 28.5), ("es", 57, null), ("student (plain)", 37, null)],
            targets.References.Select(r => (r.Method, r.CompactBytes, r.CurveAccuracy)), new ReferenceComparer());
        Assert.Contains(targets.MarkdownLines(), l => l.Contains("against `es` (0.001, 93.70 % at 27.0 B compact): this curve has 89.21 % at the same bytes, 4.49 points below it (target ≤ 0.5 below: **not met**)", StringComparison.Ordinal));
        Assert.Contains(targets.MarkdownLines(), l => l.Contains("against `es` (0.0001, 94.40 % at 57.0 B compact): outside this curve's range of bytes", StringComparison.Ordinal));
        Assert.Null(RateAccuracyTargets.Compute(Rows, "no such curve"));
        Assert.Null(RateAccuracyTargets.Compute(Rows, "teacher"));
    }

    [Fact]
    public void Compute_NoLevelCloseToTheTeacher_ReportsTheTargetAsNotMet()
    {
        var rows = Rows.Where(r => r.Setting != "0.001" && r.Setting != "0.0001").ToArray();

        var targets = RateAccuracyTargets.Compute(rows)!;

        Assert.Null(targets.BytesWithinOnePoint);
        Assert.Null(targets.LossyCodecRatio);
        Assert.Contains(targets.MarkdownLines(), l => l.Contains("target ≤ 32 B: **not met**", StringComparison.Ordinal));
        Assert.Null(RateAccuracyTargets.Compute(rows.Where(r => r.Method != "teacher").ToArray()));
    }
}
