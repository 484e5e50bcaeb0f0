using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.KernelPcaAudit;

namespace AttentionSpectra.Tests.KernelPcaAudit;

/// <summary>Edge cases of the Study C audit left open by the first mutation run: ties in the permutation ranks (two
/// and three tokens, where some permutations reproduce the observed value), sampled sign patterns whose average is
/// not 0, the 1e-6 max|x| cut of the gamma ratios at and around its boundary, overflowing J_proj terms, the smallest
/// valid sizes, null arguments and the metric names in messages.</summary>
public class AuditEdgeMutationTests
{
    private static Matrix Random(ulong seed, int n, int d) => Samplers.Gaussian(new Rng(seed), n, d);

    /// <summary>Ranks count permutations strictly below the observed value; with 2 or 3 tokens the identity
    /// permutation (and, for the CKAs of two points, every permutation) ties with it and must not count.</summary>
    [Theory]
    [InlineData(2, 12)]
    [InlineData(3, 20)]
    public void TiesDoNotCountInTheRanks(int n, int perms)
    {
        var head = new CapturedHead(0, 0, "t", Random(1, n, 2), Random(2, n, 2), Random(3, n, 3));
        var rng = new Rng(7);
        var r = HeadAudit.Audit(head, rng, new AuditOptions(NullPermutations: perms));
        Assert.Equal(Math.Min(3, n - 1), r.KpcaColumns);
        var vk = HeadAudit.PadColumns(KernelPca.Compute(head.Q, head.K, r.KpcaColumns).VKpca, 3);
        var pr = rng.Split(1);
        int bm = 0, bl = 0, br = 0, identities = 0;
        for (int t = 0; t < perms; t++)
        {
            var perm = Enumerable.Range(0, n).ToArray();
            for (int i = n - 1; i > 0; i--) { int j = pr.NextInt(i + 1); (perm[i], perm[j]) = (perm[j], perm[i]); }
            if (perm.SequenceEqual(Enumerable.Range(0, n))) identities++;
            var vp = new Matrix(n, 3);
            for (int i = 0; i < n; i++) for (int c = 0; c < 3; c++) vp[i, c] = head.V[perm[i], c];
            if (Similarity.MeanRowCosine(vk, vp) < r.MeanCosine) bm++;
            if (Similarity.LinearCka(vk, vp) < r.LinearCka) bl++;
            if (Similarity.RbfCka(vk, vp) < r.RbfCka) br++;
        }
        Assert.True(identities > 0, "the seed must draw the identity at least once");
        Assert.Equal((bm, bl, br), (r.Null!.Ranks.MeanCosine, r.Null.Ranks.LinearCka, r.Null.Ranks.RbfCka));
        Assert.True(bm < perms);
    }

    /// <summary>Sampled patterns: the averages are the plain means over the given patterns (not 0 as for the full
    /// set); a missing or empty list is rejected by name.</summary>
    [Fact]
    public void SampledSignPatternsAverageTheGivenPatterns()
    {
        var vk = Random(11, 5, 2); var v = Random(12, 5, 2);
        List<double[]> pats = [[1, 1], [1, -1], [1, 1]];
        double m = 0, o = 0;
        foreach (var s in pats)
        {
            var f = vk.Clone();
            for (int i = 0; i < 5; i++) for (int c = 0; c < 2; c++) f[i, c] = s[c] * vk[i, c];
            m += Similarity.MeanRowCosine(f, v); o += Similarity.OptimalCosine(f, v);
        }
        var (gm, go) = HeadAudit.Cosines(vk, v, CosineSigns.RandomAverage, pats);
        Assert.Equal(m / 3, gm, 13);
        Assert.Equal(o / 3, go, 13);
        Assert.True(Math.Abs(gm) > 1e-3, "the test needs a non-zero average");
        var e = Assert.Throws<ArgumentException>(() => HeadAudit.Cosines(vk, v, CosineSigns.RandomAverage, null));
        Assert.Equal("signs", e.ParamName);
        Assert.Contains("Sign patterns are required.", e.Message);
    }

    /// <summary>K = diag(1, 2, 3, 9), N = 4: the ratios (K x)_i / (N x_i) are K_ii / 4 whatever x. Without the
    /// fourth entry: ratios (1, 2, 3)/4, spread (1/4)/(2/4) = 0.5; with it: (1, 2, 3, 9)/4, spread (1/4)/(2.5/4) = 0.4.
    /// The fourth entry is left out when |x_4| is at most 1e-6 max|x| (equal: left out) and kept above.</summary>
    [Theory]
    [InlineData(1.0, 1e-6, 0.5)]       // exactly at the cut: left out
    [InlineData(1000.0, 1e-4, 0.5)]    // 1e-4 < 1e-6 * 1000: left out
    [InlineData(1000.0, 2e-3, 0.4)]    // above the cut: kept
    public void GammaRatioCutAtItsBoundary(double big, double small, double spread)
    {
        var kc = Matrix.Diagonal([1.0, 2, 3, 9]);
        var a = Matrix.FromArray(new double[,] { { big }, { big }, { big }, { small } });
        Assert.Equal(spread, HeadAudit.Gamma(kc, a).Spread, 12);
    }

    /// <summary>Overflow: with |φ|² overflowing and |h|² overflowing too, J_proj is +∞ (not ∞ − ∞ = NaN); with only
    /// |h|² overflowing it is −∞.</summary>
    [Fact]
    public void JProjOverflowSigns()
    {
        var q = Random(21, 5, 2);
        var huge = Random(22, 5, 3);
        for (int i = 0; i < huge.Data.Length; i++) huge.Data[i] *= 1e200;
        var both = HeadAudit.JProj(200 * q, 1e-3 * q, huge);
        Assert.True(double.IsPositiveInfinity(both.JProj), $"{both.JProj}");
        var hOnly = HeadAudit.JProj(q, q, huge);
        Assert.True(double.IsNegativeInfinity(hOnly.JProj), $"{hOnly.JProj}");
        Assert.Contains("Q is 5x2 but K is 4x2",
            Assert.Throws<ArgumentException>(() => HeadAudit.JProj(q, Random(23, 4, 2), huge)).Message);
    }

    /// <summary>The smallest valid sizes: two tokens (one kernel-PCA column; pairwise gamma over one pair).</summary>
    [Fact]
    public void TwoTokensAreEnough()
    {
        var head = new CapturedHead(1, 2, "two", Random(31, 2, 3), Random(32, 2, 3), Random(33, 2, 2));
        var r = HeadAudit.Audit(head, new Rng(4), new AuditOptions(NullPermutations: 0));
        Assert.Equal((1, 2, 2), (r.KpcaColumns, r.ValueDim, r.Tokens));
        var kc = Matrix.FromArray(new double[,] { { 2, 0 }, { 0, 1 } });
        var a = Matrix.FromArray(new double[,] { { 1 }, { 1 } });
        Assert.Equal(Math.Abs(2.0 / 2 - 1.0 / 2), HeadAudit.PairwiseGamma(kc, a), 14);
    }

    [Fact]
    public void NullArgumentsAreNamed()
    {
        var m = Random(41, 4, 2);
        Assert.Equal("vk", Assert.Throws<ArgumentNullException>(() => HeadAudit.AlignSigns(null!, m)).ParamName);
        Assert.Equal("v", Assert.Throws<ArgumentNullException>(() => HeadAudit.AlignSigns(m, null!)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentNullException>(
            () => HeadAudit.GramEigenvalues(null!, 2, KeyStandardisation.SampleStd)).ParamName);
        Assert.Equal("v", Assert.Throws<ArgumentNullException>(() => HeadAudit.JProj(m, m, null!)).ParamName);
        Assert.Equal("kc", Assert.Throws<ArgumentNullException>(() => HeadAudit.Gamma(null!, m)).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentNullException>(() => HeadAudit.Gamma(m, null!)).ParamName);
        Assert.Equal("kc", Assert.Throws<ArgumentNullException>(() => HeadAudit.PairwiseGamma(null!, m)).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentNullException>(() => HeadAudit.PairwiseGamma(m, null!)).ParamName);
        Assert.Equal("q", Assert.Throws<ArgumentNullException>(() => KernelPca.CheckHead(null!, m)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentNullException>(() => KernelPca.CheckHead(m, null!)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentNullException>(() => KernelPca.CentredGram(null!, out _)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentNullException>(() => KernelPca.StandardiseRows(null!, 0, 0)).ParamName);
        Assert.Contains("Q is 4x2 but K is 3x2",
            Assert.Throws<ArgumentException>(() => KernelPca.AttentionWeights(m, Random(42, 3, 2))).Message);
        Assert.Contains("Number of kernel-PCA components (5) must lie in [1, N = 4].",
            Assert.Throws<ArgumentException>(() => KernelPca.Compute(m, m, 5)).Message);
    }

    /// <summary>Every metric names itself in its input errors.</summary>
    [Fact]
    public void MetricNamesAppearInMessages()
    {
        var a = Random(51, 4, 2); var b = Random(52, 3, 2);
        Assert.StartsWith("mean cosine:", Assert.Throws<ArgumentException>(() => Similarity.MeanRowCosine(a, b)).Message);
        Assert.StartsWith("optimal cosine:", Assert.Throws<ArgumentException>(() => Similarity.OptimalCosine(a, b)).Message);
        Assert.StartsWith("linear CKA:", Assert.Throws<ArgumentException>(() => Similarity.LinearCka(a, b)).Message);
        Assert.StartsWith("RBF CKA:", Assert.Throws<ArgumentException>(() => Similarity.RbfCka(a, b)).Message);
        var same = new Matrix(4, 2);
        Assert.StartsWith("RBF CKA (first representation):",
            Assert.Throws<ArgumentException>(() => Similarity.RbfCka(same, a)).Message);
        Assert.StartsWith("RBF CKA (second representation):",
            Assert.Throws<ArgumentException>(() => Similarity.RbfCka(a, same)).Message);
    }
}
