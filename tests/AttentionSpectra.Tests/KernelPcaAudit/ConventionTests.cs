using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.KernelPcaAudit;

namespace AttentionSpectra.Tests.KernelPcaAudit;

/// <summary>One hand-computed small case per convention of issue 15 (cosine signs, published means, Gram
/// standardisation and aggregation, J_proj terms, pairwise gamma) and the rank-sum p-value.</summary>
public class ConventionTests
{
    private static readonly Matrix Vk = Matrix.FromArray(new double[,] { { 1, 0 }, { 0, 1 }, { 1, 1 } });
    private static readonly Matrix V = Matrix.FromArray(new double[,] { { -1, 0 }, { 0, 1 }, { -1, 1 } });

    /// <summary>Rows a = (1,0), (0,1), (1,1) against v = (-1,0), (0,1), (-1,1).
    /// raw: cosines -1, 1, 0 -> mean 0; best matching (0->0, 1->2, 2->1) = (-1 + 2/sqrt2) / 3 = (sqrt2 - 1)/3.
    /// aligned: column 0 has inner product -2 with V's, so it is flipped and V_KPCA = V: both cosines 1.
    /// random-average over the 4 sign patterns: mean cosines 0, 1, -1, 0 -> 0; optimal cosines
    /// (sqrt2-1)/3, 1, -1/3, (sqrt2-1)/3 -> sqrt2/6.</summary>
    [Fact]
    public void CosineSigns_HandComputedThreeTokenCase()
    {
        var (m, o) = HeadAudit.Cosines(Vk, V, CosineSigns.Raw, null);
        Assert.Equal(0.0, m, 14);
        Assert.Equal((Math.Sqrt(2) - 1) / 3, o, 14);

        (m, o) = HeadAudit.Cosines(Vk, V, CosineSigns.Aligned, null);
        Assert.Equal(1.0, m, 14);
        Assert.Equal(1.0, o, 14);

        var patterns = HeadAudit.SignPatterns(CosineSigns.RandomAverage, 2, 16, new Rng(1))!;
        Assert.Equal(4, patterns.Count); // 2^2 <= 16: every pattern, no sampling
        (m, o) = HeadAudit.Cosines(Vk, V, CosineSigns.RandomAverage, patterns);
        Assert.Equal(0.0, m, 14);
        Assert.Equal(Math.Sqrt(2) / 6, o, 14);

        // more columns than draws: that many sampled patterns
        Assert.Equal(16, HeadAudit.SignPatterns(CosineSigns.RandomAverage, 8, 16, new Rng(1))!.Count);
        Assert.Null(HeadAudit.SignPatterns(CosineSigns.Raw, 2, 16, new Rng(1)));
    }

    /// <summary>The audit records the convention, and its raw columns do not depend on the chosen one.</summary>
    [Fact]
    public void CosineSigns_AuditRecordsConventionAndKeepsRawColumns()
    {
        var head = SyntheticHeads.KpcaHead(new Rng(4), 30, 16, 4);
        var raw = HeadAudit.Audit(head, new Rng(2), new AuditOptions(NullPermutations: 0));
        var al = HeadAudit.Audit(head, new Rng(2), new AuditOptions(NullPermutations: 0, CosineSigns: CosineSigns.Aligned));
        Assert.Equal(CosineSigns.Raw, raw.CosineSigns);
        Assert.Equal(CosineSigns.Aligned, al.CosineSigns);
        Assert.Equal(raw.MeanCosine, raw.RawMeanCosine);
        Assert.Equal(raw.OptimalCosine, al.RawOptimalCosine, 14);
        Assert.Equal(1.0, al.MeanCosine, 9); // V = c V_KPCA S: aligned recovers it exactly
        Assert.Equal(raw.LinearCka, al.LinearCka, 14);
    }

    private static HeadAuditResult H(string input, int layer, int head, double lin, double[]? eig = null,
        double opt = 0.3, KeyStandardisation std = KeyStandardisation.SampleStd)
    {
        var j = new JProjTerms(-2, 0, -0.99, 0.99);
        var g = new GammaConsistency(0.1, 0.1);
        return new HeadAuditResult(layer, head, input, 10, 4, 0.0, opt, lin, 0.2, j, g, g, g, eig ?? [1.0], null, null)
        {
            RawOptimalCosine = opt, KpcaColumns = 4, ValueDim = 4, KeyStandardisation = std,
        };
    }

    /// <summary>Linear CKA 0.02, 0.02, 0.20: the max (0.20) exceeds 0.11 but the mean (0.08) does not, so the model is
    /// within the published mean; one head in three lies above it. 0.05, 0.10, 0.30: mean 0.15 is above.</summary>
    [Fact]
    public void PublishedBounds_AreComparedWithTheMeanAndTheMaxIsSeparate()
    {
        var s = ModelAudit.Summarise("m", "test", [H("a", 0, 0, 0.02), H("a", 0, 1, 0.02), H("a", 1, 0, 0.20)], []);
        var b = s.PublishedComparison.Single(x => x.Metric == "linear_cka");
        Assert.Equal(0.11, b.PublishedMean);
        Assert.Equal(0.08, b.ObservedMean, 14);
        Assert.Equal(0.20, b.ObservedMax, 14);
        Assert.Equal(1.0 / 3, b.FractionOfHeadsAbove, 14);
        Assert.True(b.MeanWithinPublished);
        s = ModelAudit.Summarise("m", "test", [H("a", 0, 0, 0.05), H("a", 0, 1, 0.10), H("a", 1, 0, 0.30)], []);
        b = s.PublishedComparison.Single(x => x.Metric == "linear_cka");
        Assert.Equal(0.15, b.ObservedMean, 14);
        Assert.False(b.MeanWithinPublished);
        // the cosine compared with 0.32 is the raw-sign optimal cosine
        Assert.Contains(s.PublishedComparison, x => x.Metric == "optimal_cosine (raw)" && x.ObservedMean == 0.3);
        Assert.Contains(s.Notes, n => n.Contains("MEAN over inputs x layers x heads"));
    }

    /// <summary>Row (1, 2, 3): mean 2, ddof-1 std 1, ddof-0 std sqrt(2/3).</summary>
    [Fact]
    public void KeyStandardisation_Ddof1PlusEpsilonAndDdof0()
    {
        var x = Matrix.FromArray(new double[,] { { 1, 2, 3 } });
        var s1 = KernelPca.StandardiseRows(x, 1, 1e-8);
        var s0 = KernelPca.StandardiseRows(x, 0, 0);
        Assert.Equal(-1 / (1 + 1e-8), s1[0, 0], 15);
        Assert.Equal(1 / (1 + 1e-8), s1[0, 2], 15);
        Assert.Equal(-1 / Math.Sqrt(2.0 / 3), s0[0, 0], 14);
        Assert.Equal(0.0, s0[0, 1], 15);
    }

    /// <summary>Two keys (1, 3) and (2, 0), D = 2. Standardised they are +-(-1, 1)/s with s = sqrt2 + 1e-8 (ddof 1)
    /// or s = 1 (ddof 0). With a = (2/s^2)/sqrt2, K = [[e^a, e^-a], [e^-a, e^a]], g = e^a + e^-a, and for N = 2 the
    /// one non-zero eigenvalue of H K_phi H is (K11 + K22 - 2 K12) / 2 / (g^2 + eps) = (e^a - e^-a) / (g^2 + eps),
    /// with eps = 1e-6 in the published form and 0 otherwise.</summary>
    [Fact]
    public void GramEigenvalues_HandComputedTwoKeyCase()
    {
        var k = Matrix.FromArray(new double[,] { { 1, 3 }, { 2, 0 } });
        double Expected(double s, double eps)
        {
            double a = 2 / (s * s) / Math.Sqrt(2), g = Math.Exp(a) + Math.Exp(-a);
            return (Math.Exp(a) - Math.Exp(-a)) / (g * g + eps);
        }
        var pub = HeadAudit.GramEigenvalues(k, 2, KeyStandardisation.SampleStd);
        var pop = HeadAudit.GramEigenvalues(k, 2, KeyStandardisation.PopulationStd);
        Assert.Equal(Expected(Math.Sqrt(2) + 1e-8, 1e-6), pub[0], 14);
        Assert.Equal(Expected(1, 0), pop[0], 14);
        Assert.True(Math.Abs(pub[1]) < 1e-15 && Math.Abs(pop[1]) < 1e-15); // centring removes one dimension
        Assert.NotEqual(pub[0], pop[0]);
    }

    /// <summary>Input a: heads with eigenvalues (4, 1) and (2, 3) -> per-rank means (3, 2): max 3, min 2, mean 2.5,
    /// lower median 2. Input b: one head (10, 0): max 10, min 0, mean 5, median 0. Per rank first = the means over
    /// inputs: 6.5, 1, 3.75, 1. Per head: all six values: max 10, min 0, mean 10/3, median 2.5.</summary>
    [Fact]
    public void GramAggregation_PerRankFirstAndPerHead()
    {
        var m = new List<HeadAuditResult>
        {
            H("a", 0, 0, 0.1, [4, 1]), H("a", 0, 1, 0.1, [2, 3]), H("b", 0, 0, 0.1, [10, 0]),
        };
        var pr = ModelAudit.GramStatistics(m, GramAggregation.PerRankFirst);
        Assert.Equal((6.5, 1.0, 3.75, 1.0), (pr.Max, pr.Min, pr.Mean, pr.Median));
        var ph = ModelAudit.GramStatistics(m, GramAggregation.PerHead);
        Assert.Equal(10.0, ph.Max); Assert.Equal(0.0, ph.Min);
        Assert.Equal(10.0 / 3, ph.Mean, 14); Assert.Equal(2.5, ph.Median);
        Assert.Equal(GramAggregation.PerHead, ph.Aggregation);
        Assert.Equal(16.0 / 3, pr.MeanPerRank[0], 14);
        Assert.Equal(4.0 / 3, pr.MeanPerRank[1], 14);
    }

    /// <summary>D = 1, q = k = (0), (1), v = (1), (-1). Token 1: logits (0, 0): |phi|^2 = 1/4, h = 0. Token 2:
    /// logits (0, 1): |phi|^2 = e / (1+e)^2, h = (1 - e)/(1 + e). J_proj is the signed mean difference; the
    /// published statistic is the mean absolute difference; |h|^2 dominates here only on token 2.</summary>
    [Fact]
    public void JProj_SignedAndAbsoluteDifferenceHandCase()
    {
        var q = Matrix.FromArray(new double[,] { { 0 }, { 1 } });
        var v = Matrix.FromArray(new double[,] { { 1 }, { -1 } });
        double e = Math.E;
        double phi1 = 0.25, h1 = 0, phi2 = e / ((1 + e) * (1 + e)), h2 = (1 - e) * (1 - e) / ((1 + e) * (1 + e));
        var j = HeadAudit.JProj(q, q, v);
        Assert.Equal(((phi1 - h1) + (phi2 - h2)) / 2, j.JProj, 14);
        Assert.Equal((Math.Abs(phi1 - h1) + Math.Abs(phi2 - h2)) / 2, j.MeanAbsDifference, 14);
        Assert.Equal(Math.Log10((phi1 + phi2) / 2), j.Log10PhiTerm, 12);
        Assert.Equal(Math.Log10((h1 + h2) / 2), j.Log10HTerm, 12);
        // scaling V by 10 makes |h|^2 dominate: the log ratio is negative, as in trained models
        var j10 = HeadAudit.JProj(q, q, 10 * v);
        Assert.True(j10.Log10Ratio < 0 && j10.JProj < 0);
    }

    /// <summary>K_c = diag(1, 2, 3), a = ones: gamma = (1/3, 2/3, 1), pairwise |differences| 1/3, 2/3, 1/3 -> 4/9.
    /// For true eigenvectors of a real head the statistic is at rounding level, and the published control (0.1
    /// absolute noise, then QR) is far above it.</summary>
    [Fact]
    public void PairwiseGamma_HandCaseAndControl()
    {
        var kc = Matrix.Diagonal([1.0, 2, 3]);
        var a = Matrix.FromArray(new double[,] { { 1 }, { 1 }, { 1 } });
        Assert.Equal(4.0 / 9, HeadAudit.PairwiseGamma(kc, a), 14);
        var head = SyntheticHeads.RandomHead(new Rng(8), 40, 16, 6);
        var r = HeadAudit.Audit(head, new Rng(3), new AuditOptions(NullPermutations: 0));
        Assert.NotNull(r.GammaPairwise);
        Assert.True(r.GammaPairwise!.Control > 1e4 * Math.Abs(r.GammaPairwise.True),
            $"control {r.GammaPairwise.Control} vs true {r.GammaPairwise.True}");
    }

    /// <summary>Sum of independent uniforms on 0..P: P = 1, ranks (1, 1): P(S >= 2) = 1/4; ranks (1, 0): 3/4;
    /// P = 2, one rank 2: 1/3; all zero ranks: 1. The normal approximation agrees with the exact sum for many heads.</summary>
    [Fact]
    public void RankSumPValue_HandCasesAndNormalApproximation()
    {
        Assert.Equal(0.25, ModelAudit.RankSumPValue([1, 1], 1), 14);
        Assert.Equal(0.75, ModelAudit.RankSumPValue([1, 0], 1), 14);
        Assert.Equal(1.0 / 3, ModelAudit.RankSumPValue([2], 2), 14);
        Assert.Equal(1.0, ModelAudit.RankSumPValue([0, 0, 0], 4), 12);
        // 20000 heads x P = 8: exact convolution (support 160001); compare with the CLT formula at +1 sd
        int h = 20000, p = 8;
        double mu = h * p / 2.0, sd = Math.Sqrt(h * ((p + 1.0) * (p + 1) - 1) / 12);
        var ranks = Enumerable.Repeat(p / 2, h).ToArray();
        int extra = (int)Math.Round(sd);
        for (int i = 0; i < extra; i++) ranks[i]++;
        double exact = ModelAudit.RankSumPValue(ranks, p);
        double z = (mu + extra - 0.5 - mu) / sd;
        Assert.Equal(0.5 * ModelAudit.Erfc(z / Math.Sqrt(2)), exact, 3);
        Assert.Equal(0.1587, exact, 2);
    }

    /// <summary>N = 3 tokens and Dv = 4: V_KPCA has N - 1 = 2 real columns; the audit records it and the summary says
    /// so.</summary>
    [Fact]
    public void ValueDimAboveNMinusOne_IsNoted()
    {
        var rng = new Rng(12);
        var (q, k, _) = SyntheticHeads.QueriesKeys(rng, 3, 6, 2);
        var head = new CapturedHead(0, 0, "x", q, k, Samplers.Gaussian(rng.Split(9), 3, 4));
        var r = HeadAudit.Audit(head, rng, new AuditOptions(NullPermutations: 2));
        Assert.Equal(2, r.KpcaColumns);
        Assert.Equal(4, r.ValueDim);
        var s = ModelAudit.Summarise("m", "test", [r], []);
        Assert.Contains(s.Notes, n => n.Contains("Dv > N - 1") && n.Contains("N - 1 = 2 real columns"));
    }
}
