using System.Globalization;
using static System.FormattableString;

namespace SplitNet.Evaluation;

/// <summary>
/// The figures the rate–accuracy comparison exists for, read off the rows of one entropic curve
/// (a shipped split model's levels) against the teacher and the baselines.
/// </summary>
/// <param name="Curve">Method of the entropic rows these figures describe.</param>
/// <param name="TeacherAccuracy">The whole teacher on the same images.</param>
/// <param name="BytesWithinOnePoint">Fewest coded bytes of a level within 1 point of the teacher (null: none is).</param>
/// <param name="CompactBytesWithinOnePoint">The same level's compact-stream bytes.</param>
/// <param name="BestAccuracy">Accuracy of the most accurate level.</param>
/// <param name="BestAccuracyBytes">That level's coded bytes.</param>
/// <param name="AccuracyAtTwelveBytes">Best accuracy of a level whose compact stream is at most 12 bytes (null: none is).</param>
/// <param name="WebpLosslessRatio">WebP lossless bytes over <paramref name="BytesWithinOnePoint"/>.</param>
/// <param name="LossyCodecRatio">Bytes of the smallest lossy input codec within 1 point of the teacher over <paramref name="BytesWithinOnePoint"/>.</param>
/// <param name="NaiveSplitRatio">Naive 8-bit+LZ4 split bytes over the most accurate level's bytes.</param>
/// <param name="WorstOverheadMargin">Smallest (1.005 × ideal + 16) − coded over the levels: ≥ 0 when every level meets the bound.</param>
/// <param name="AccuracyAtEightBytes">Best accuracy of a level whose compact stream is at most 8 bytes (null: none is).</param>
/// <param name="SegmentOverhead">A variable-rate curve's top level: compact bytes in segments minus in one stream (null for other curves).</param>
/// <param name="References">Separately trained single-rate students with the curve's encoder, each against the curve at its bytes.</param>
public sealed record RateAccuracyTargets(
    string Curve,
    double TeacherAccuracy,
    double? BytesWithinOnePoint,
    double? CompactBytesWithinOnePoint,
    double BestAccuracy,
    double BestAccuracyBytes,
    double? AccuracyAtTwelveBytes,
    double? WebpLosslessRatio,
    double? LossyCodecRatio,
    double? NaiveSplitRatio,
    double WorstOverheadMargin,
    double? AccuracyAtEightBytes,
    double? SegmentOverhead,
    IReadOnlyList<ReferenceGap> References)
{
    /// <summary>
    /// Targets of the entropic method <paramref name="curveName"/>, by default the first in
    /// <paramref name="rows"/>; null without a teacher row or without that curve's rows.
    /// </summary>
    public static RateAccuracyTargets? Compute(IReadOnlyList<RateAccuracyRow> rows, string? curveName = null)
    {
        var teacher = rows.FirstOrDefault(r => r.Method == "teacher");
        curveName ??= rows.FirstOrDefault(r => r.IdealBytesPerImage is not null)?.Method;
        if (teacher is null || curveName is null || !rows.Any(r => r.Method == curveName && r.IdealBytesPerImage is not null))
        {
            return null;
        }
        var curve = rows.Where(r => r.Method == curveName).ToList();
        var bar = teacher.Accuracy - 0.01;
        var withinOne = curve.Where(r => r.Accuracy >= bar).MinBy(r => r.BytesPerImage);
        var best = curve.MaxBy(r => r.Accuracy)!;
        double? BestAtMost(double bytes) => curve.Where(r => r.CompactBytesPerImage <= bytes).Select(r => (double?)r.Accuracy).Max();
        var segmented = curve.LastOrDefault(r => r.OneStreamBytesPerImage is not null);
        var webpLossless = rows.FirstOrDefault(r => r.Method == "webp-lossless");
        var lossy = rows.Where(r => r.Method is "webp" or "jpeg" && r.Accuracy >= bar).MinBy(r => r.BytesPerImage);
        var naive = rows.FirstOrDefault(r => r.Method == "split-affine8-lz4");
        return new RateAccuracyTargets(
            curveName,
            teacher.Accuracy,
            withinOne?.BytesPerImage,
            withinOne?.CompactBytesPerImage,
            best.Accuracy,
            best.BytesPerImage,
            BestAtMost(12),
            Ratio(webpLossless, withinOne),
            Ratio(lossy, withinOne),
            Ratio(naive, best),
            curve.Min(r => 1.005 * r.IdealBytesPerImage!.Value + 16 - r.BytesPerImage),
            BestAtMost(8),
            segmented?.CompactBytesPerImage - segmented?.OneStreamBytesPerImage,
            ReferencesAgainst(rows, curve));
    }

    /// <summary>
    /// Every single-rate student row (not a rung, no ladder setting) whose encoder costs what the
    /// curve's does, against the curve's accuracy at its compact bytes, interpolated linearly
    /// between the levels around them (none outside the curve's range).
    /// </summary>
    private static ReferenceGap[] ReferencesAgainst(IReadOnlyList<RateAccuracyRow> rows, List<RateAccuracyRow> curve)
    {
        var points = curve.Where(r => r.CompactBytesPerImage is not null).OrderBy(r => r.CompactBytesPerImage).ToList();
        var macs = curve[0].EncoderMacs;
        return [.. rows.Where(r => r.Method != curve[0].Method && r.CompactBytesPerImage is not null && r.EncoderMacs == macs && !r.Setting.EndsWith(" ch)", StringComparison.Ordinal))
            .Select(r =>
            {
                double bytes = r.CompactBytesPerImage!.Value;
                int above = points.FindIndex(p => p.CompactBytesPerImage >= bytes);
                double? at = above switch
                {
                    < 0 => null,
                    0 => points[0].CompactBytesPerImage == bytes ? points[0].Accuracy : null,
                    _ => Interpolate(points[above - 1], points[above], bytes),
                };
                return new ReferenceGap(r.Method, r.Setting, bytes, r.Accuracy, at);
            })];
    }

    private static double Interpolate(RateAccuracyRow below, RateAccuracyRow above, double bytes)
    {
        var (x0, x1) = (below.CompactBytesPerImage!.Value, above.CompactBytesPerImage!.Value);
        return x1 == x0 ? above.Accuracy : below.Accuracy + (above.Accuracy - below.Accuracy) * (bytes - x0) / (x1 - x0);
    }

    private static double? Ratio(RateAccuracyRow? baseline, RateAccuracyRow? entropic) =>
        baseline is null || entropic is null ? null : baseline.BytesPerImage / entropic.BytesPerImage;

    /// <summary>Markdown bullet lines, each target with its figure and whether it holds.</summary>
    public IEnumerable<string> MarkdownLines()
    {
        static string Mark(bool holds) => holds ? "met" : "**not met**";
        static string F(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "n/a";
        yield return Invariant($"Targets for `{Curve}` (teacher {TeacherAccuracy:P2}):");
        yield return "";
        yield return Invariant($"- fewest bytes within 1 point of the teacher: {F(BytesWithinOnePoint, "F1")} B coded ({F(CompactBytesWithinOnePoint, "F1")} B compact); target ≤ 32 B: {Mark(BytesWithinOnePoint <= 32 || CompactBytesWithinOnePoint <= 32)}");
        yield return Invariant($"- vs WebP lossless: {F(WebpLosslessRatio, "F1")}× smaller (target ≥ 14×: {Mark(WebpLosslessRatio >= 14)}); vs the smallest lossy input codec within 1 point: {F(LossyCodecRatio, "F1")}× (target ≥ 5×: {Mark(LossyCodecRatio >= 5)})");
        yield return Invariant($"- most accurate level: {BestAccuracy:P2} at {BestAccuracyBytes:F1} B, {100 * (TeacherAccuracy - BestAccuracy):F2} points below the teacher (target ≤ 0.5: {Mark(TeacherAccuracy - BestAccuracy <= 0.005)})");
        yield return Invariant($"- best accuracy at ≤ 12 B (compact stream): {(AccuracyAtTwelveBytes is { } a ? a.ToString("P2", CultureInfo.InvariantCulture) : "n/a")} (target ≥ 80 %: {Mark(AccuracyAtTwelveBytes >= 0.80)})");
        yield return Invariant($"- best accuracy at ≤ 8 B (compact stream): {(AccuracyAtEightBytes is { } e ? e.ToString("P2", CultureInfo.InvariantCulture) : "n/a")} (target ≥ 80 %: {Mark(AccuracyAtEightBytes >= 0.80)})");
        yield return Invariant($"- naive 8-bit+LZ4 split over the most accurate level: {F(NaiveSplitRatio, "F0")}× (target ≥ 10×: {Mark(NaiveSplitRatio >= 10)})");
        yield return Invariant($"- coded ≤ 1.005 × ideal + 16 B on every level: smallest margin {WorstOverheadMargin:F1} B ({Mark(WorstOverheadMargin >= 0)})");
        if (SegmentOverhead is { } overhead)
        {
            yield return Invariant($"- segmenting overhead at the top level (compact stream, segments against one stream): {overhead:F2} B per frame (target ≤ 3 B: {Mark(overhead <= 3)})");
        }
        foreach (var reference in References)
        {
            yield return reference.CurveAccuracy is { } at
                ? Invariant($"- against `{reference.Method}` ({reference.Setting}, {reference.Accuracy:P2} at {reference.CompactBytes:F1} B compact): this curve has {at:P2} at the same bytes, {100 * Math.Abs(at - reference.Accuracy):F2} points {(at >= reference.Accuracy ? "above" : "below")} it (target ≤ 0.5 below: {Mark(reference.Accuracy - at <= 0.005)})")
                : Invariant($"- against `{reference.Method}` ({reference.Setting}, {reference.Accuracy:P2} at {reference.CompactBytes:F1} B compact): outside this curve's range of bytes");
        }
    }
}

/// <summary>A separately trained student against a curve at its bytes.</summary>
/// <param name="CurveAccuracy">The curve's accuracy at <paramref name="CompactBytes"/>, interpolated between its levels; null outside its range.</param>
public sealed record ReferenceGap(string Method, string Setting, double CompactBytes, double Accuracy, double? CurveAccuracy);
