using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.KernelPcaAudit;

namespace AttentionSpectra.Tests.KernelPcaAudit;

/// <summary>Kernel PCA of a head (docs/theory.md, Study C) against naive oracles written from the definitions:
/// k(x, y) = exp(x.y / sqrt D), g_i = sum_j k(k_i, k_j), K_phi = k / (g g' + eps), K_c = H K_phi H with the explicit
/// centring matrix H = I - 11'/N, MathNet for the eigenvalues, V_KPCA = diag(1/g)(A - 1 mean(A)); the row
/// standardisation with ddof and epsilon; the input checks and their messages.</summary>
public class KernelPcaMutationTests
{
    private static Matrix Random(ulong seed, int n, int d, double scale = 1)
    {
        var m = Samplers.Gaussian(new Rng(seed), n, d);
        for (int i = 0; i < m.Data.Length; i++) m.Data[i] *= scale;
        return m;
    }

    private static double Kernel(Matrix x, int i, Matrix y, int j)
    {
        double s = 0;
        for (int c = 0; c < x.Cols; c++) s += x[i, c] * y[j, c];
        return Math.Exp(s / Math.Sqrt(x.Cols));
    }

    private static double[,] CentreNaive(double[,] m)
    {
        int n = m.GetLength(0);
        var h = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) h[i, j] = (i == j ? 1 : 0) - 1.0 / n;
        var hm = new double[n, n]; var hmh = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) for (int p = 0; p < n; p++) hm[i, j] += h[i, p] * m[p, j];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) for (int p = 0; p < n; p++) hmh[i, j] += hm[i, p] * h[p, j];
        return hmh;
    }

    private static (double[,] Kc, double[] G) GramNaive(Matrix k, double eps)
    {
        int n = k.Rows;
        var g = new double[n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) g[i] += Kernel(k, i, k, j);
        var kphi = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) kphi[i, j] = Kernel(k, i, k, j) / (g[i] * g[j] + eps);
        return (CentreNaive(kphi), g);
    }

    /// <summary>Centring of a non-symmetric matrix equals H M H (row and column means enter separately).</summary>
    [Fact]
    public void CenterIsDoubleCentringWithTheCentringMatrix()
    {
        var m = Random(1, 5, 5);
        var expected = CentreNaive(m.ToArray());
        KernelPca.Center(m);
        for (int i = 0; i < 5; i++) for (int j = 0; j < 5; j++) Assert.Equal(expected[i, j], m[i, j], 12);
    }

    /// <summary>K_c and log g against the naive formulas, without and with the published denominator epsilon; the
    /// epsilon is chosen comparable with g_i g_j (about N^2) so that it changes every entry.</summary>
    [Theory]
    [InlineData(0.0)]
    [InlineData(20.0)]
    public void CentredGramMatchesTheDefinition(double eps)
    {
        var k = Random(2, 6, 3, 0.7);
        var (kc0, g) = GramNaive(k, eps);
        var kc = KernelPca.CentredGram(k, out var logG, eps);
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(Math.Log(g[i]), logG[i], 12);
            for (int j = 0; j < 6; j++) Assert.Equal(kc0[i, j], kc[i, j], 12);
        }
        if (eps == 0)
        {
            var kcDefault = KernelPca.CentredGram(k, out _);
            Assert.Equal(kc.Data, kcDefault.Data);
        }
        var e = Assert.Throws<ArgumentException>(() => KernelPca.CentredGram(k, out _, -1));
        Assert.Equal("denominatorEpsilon", e.ParamName);
        Assert.Contains("must be >= 0", e.Message);
        Assert.Throws<ArgumentException>(() => KernelPca.CentredGram(k, out _, double.NaN));
    }

    /// <summary>softmax_j(q_i.k_j / sqrt D) with D = 3 (the scale matters) against the naive ratio of kernels.</summary>
    [Fact]
    public void AttentionWeightsAreTheSoftmaxOfScaledLogits()
    {
        var q = Random(3, 5, 3, 1.5);
        var k = Random(4, 5, 3, 1.5);
        var w = KernelPca.AttentionWeights(q, k);
        for (int i = 0; i < 5; i++)
        {
            double z = 0;
            for (int j = 0; j < 5; j++) z += Kernel(q, i, k, j);
            for (int j = 0; j < 5; j++) Assert.Equal(Kernel(q, i, k, j) / z, w[i, j], 12);
        }
        var lse = KernelPca.RowLogSumExp(Matrix.FromArray(new double[,] { { 1, 2, 3 }, { -5, 0, 700 } }));
        Assert.Equal(Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)), lse[0], 13);
        Assert.Equal(700.0, lse[1], 10); // log-domain: exp(700) alone would be finite, the sum must not overflow
    }

    /// <summary>Eigenvalues of K_c equal MathNet's; each column of A is a unit eigenvector with its largest-magnitude
    /// entry positive; V_KPCA = diag(1/g)(A - column mean of A).</summary>
    [Theory]
    [InlineData(7, 3, 3, 5UL)]
    [InlineData(6, 2, 6, 6UL)]
    public void ComputeMatchesEigenOracleAndPredictedValues(int n, int d, int comps, ulong seed)
    {
        var q = Random(seed, n, d);
        var k = Random(seed + 100, n, d);
        var r = KernelPca.Compute(q, k, comps);
        var (kc, g) = GramNaive(k, 0);
        var mn = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(kc);
        var ev = mn.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric).EigenValues
            .Select(c => c.Real).OrderByDescending(x => x).ToArray();
        Assert.Equal(comps, r.Eigenvalues.Length);
        for (int c = 0; c < comps; c++)
        {
            Assert.Equal(ev[c], r.Eigenvalues[c], 10);
            int arg = 0; double norm = 0, mean = 0;
            for (int i = 0; i < n; i++)
            {
                norm += r.A[i, c] * r.A[i, c];
                mean += r.A[i, c];
                if (Math.Abs(r.A[i, c]) > Math.Abs(r.A[arg, c])) arg = i;
                double kcA = 0;
                for (int j = 0; j < n; j++) kcA += kc[i, j] * r.A[j, c];
                if (ev[c] > 1e-8) Assert.Equal(r.Eigenvalues[c] * r.A[i, c], kcA, 9);
            }
            Assert.Equal(1.0, norm, 10);
            Assert.True(r.A[arg, c] > 0, "largest-magnitude entry must be positive");
            mean /= n;
            for (int i = 0; i < n; i++) Assert.Equal((r.A[i, c] - mean) / g[i], r.VKpca[i, c], 10);
        }
        for (int i = 0; i < n; i++) Assert.Equal(Math.Log(g[i]), r.LogGKeys[i], 12);
        Assert.Throws<ArgumentException>(() => KernelPca.Compute(q, k, 0));
        Assert.Throws<ArgumentException>(() => KernelPca.Compute(q, k, n + 1));
        Assert.Equal(n, KernelPca.Compute(q, k, n).Eigenvalues.Length);
    }

    /// <summary>(x - mean) / (sqrt(sum (x - mean)^2 / (D - ddof)) + eps), a constant row only centred, and the checks.
    /// </summary>
    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(1, 0.0)]
    [InlineData(1, 0.5)]
    [InlineData(2, 0.25)]
    public void StandardiseRowsMatchesTheFormula(int ddof, double eps)
    {
        var x = Random(7, 4, 5, 2);
        for (int c = 0; c < 5; c++) x[3, c] = 2.5; // constant row
        var s = ddof == 0 && eps == 0 ? KernelPca.StandardiseRows(x) : KernelPca.StandardiseRows(x, ddof, eps);
        for (int i = 0; i < 4; i++)
        {
            double mean = 0, ss = 0;
            for (int c = 0; c < 5; c++) mean += x[i, c];
            mean /= 5;
            for (int c = 0; c < 5; c++) ss += (x[i, c] - mean) * (x[i, c] - mean);
            double sd = Math.Sqrt(ss / (5 - ddof)) + eps;
            for (int c = 0; c < 5; c++) Assert.Equal(sd > 0 ? (x[i, c] - mean) / sd : 0.0, s[i, c], 12);
        }
        Assert.Equal(2.5, x[3, 0]); // input untouched
        Assert.Equal("ddof", Assert.Throws<ArgumentException>(() => KernelPca.StandardiseRows(x, -1, 0)).ParamName);
        Assert.Equal("ddof", Assert.Throws<ArgumentException>(() => KernelPca.StandardiseRows(x, 5, 0)).ParamName);
        Assert.Equal(4, KernelPca.StandardiseRows(x, 4, 0).Rows); // ddof = D - 1 is allowed
        var e = Assert.Throws<ArgumentException>(() => KernelPca.StandardiseRows(x, 0, -0.1));
        Assert.Equal("epsilon", e.ParamName);
        Assert.Contains("epsilon must be >= 0", e.Message);
        Assert.Contains("D = 5", Assert.Throws<ArgumentException>(() => KernelPca.StandardiseRows(x, 5, 0)).Message);
    }

    /// <summary>Every input check fires on its own condition and names the head and the shapes.</summary>
    [Fact]
    public void CheckHeadRejectsBadInputsWithSpecificMessages()
    {
        var q = Random(8, 4, 2);
        KernelPca.CheckHead(q, Random(9, 4, 2)); // valid: no throw
        Assert.Contains("need at least 2 tokens, got 1",
            Assert.Throws<ArgumentException>(() => KernelPca.CheckHead(Random(8, 1, 2), Random(9, 1, 2), "h")).Message);
        Assert.Contains("head dimension must be positive",
            Assert.Throws<ArgumentException>(() => KernelPca.CheckHead(new Matrix(3, 0), new Matrix(3, 0))).Message);
        Assert.Contains("Q is 4x2 but K is 3x2",
            Assert.Throws<ArgumentException>(() => KernelPca.CheckHead(q, Random(9, 3, 2))).Message);
        Assert.Contains("Q is 4x2 but K is 4x3",
            Assert.Throws<ArgumentException>(() => KernelPca.CheckHead(q, Random(9, 4, 3))).Message);
        var bad = Random(9, 4, 2); bad[1, 1] = double.NaN;
        var e = Assert.Throws<ArgumentException>(() => KernelPca.CheckHead(q, bad, "layer 3 head 1"));
        Assert.StartsWith("layer 3 head 1: Q or K contains NaN", e.Message);
        Assert.Contains("contains NaN", Assert.Throws<ArgumentException>(() => KernelPca.CheckHead(bad, q)).Message);
        Assert.StartsWith("attention head:", Assert.Throws<ArgumentException>(() => KernelPca.CheckHead(bad, q)).Message);
    }
}
