using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.KernelPcaAudit;

namespace AttentionSpectra.Tests.KernelPcaAudit;

/// <summary>Similarity metrics against naive oracles written from the definitions in docs/theory.md (Study C):
/// RBF bandwidth = median of the non-zero squared distances with an odd and an even number of them, brute-force
/// matching for the optimal cosine, the zero-row rules and the input checks.</summary>
public class SimilarityMutationTests
{
    private static Matrix Random(ulong seed, int n, int d) => Samplers.Gaussian(new Rng(seed), n, d);

    private static double Dist2(Matrix x, int i, int j)
    {
        double s = 0;
        for (int k = 0; k < x.Cols; k++) s += (x[i, k] - x[j, k]) * (x[i, k] - x[j, k]);
        return s;
    }

    private static double MedianNonZero(Matrix x)
    {
        var d = new List<double>();
        for (int i = 0; i < x.Rows; i++) for (int j = i + 1; j < x.Rows; j++) if (Dist2(x, i, j) > 1e-12) d.Add(Dist2(x, i, j));
        var s = d.OrderBy(t => t).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>RBF CKA from the definition: K_ij = exp(-|x_i - x_j|^2 / (2 med)), HSIC(K, L) = tr(K H L H).</summary>
    private static double RbfCkaOracle(Matrix x, Matrix y)
    {
        int n = x.Rows;
        double[,] Centred(Matrix m)
        {
            double med = MedianNonZero(m);
            var k = new double[n, n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) k[i, j] = Math.Exp(-Dist2(m, i, j) / (2 * med));
            var h = new double[n, n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) h[i, j] = (i == j ? 1 : 0) - 1.0 / n;
            var hk = new double[n, n]; var hkh = new double[n, n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) for (int p = 0; p < n; p++) hk[i, j] += h[i, p] * k[p, j];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) for (int p = 0; p < n; p++) hkh[i, j] += hk[i, p] * h[p, j];
            return hkh;
        }
        var kx = Centred(x); var ky = Centred(y);
        double xy = 0, xx = 0, yy = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) { xy += kx[i, j] * ky[i, j]; xx += kx[i, j] * kx[i, j]; yy += ky[i, j] * ky[i, j]; }
        return xy / Math.Sqrt(xx * yy);
    }

    [Theory]
    [InlineData(3, 1)]   // 3 pairs (odd)
    [InlineData(7, 2)]   // 21 pairs (odd)
    [InlineData(6, 3)]   // 15 pairs (odd)
    [InlineData(5, 4)]   // 10 pairs (even)
    public void RbfBandwidthIsTheMedianOfTheSquaredDistances(int n, ulong seed)
    {
        var x = Random(seed, n, 3);
        double med = MedianNonZero(x);
        var k = Similarity.RbfGram(x, "x");
        // K_01 = exp(-d_01 / (2 med)) recovers the bandwidth the code used
        double used = -Dist2(x, 0, 1) / (2 * Math.Log(k[0, 1]));
        Assert.True(Math.Abs(used - med) < 1e-9 * med, $"n={n}: bandwidth {used}, median {med}");
        for (int i = 0; i < n; i++) Assert.Equal(1.0, k[i, i]);
        var y = Random(seed + 100, n, 2);
        Assert.Equal(RbfCkaOracle(x, y), Similarity.RbfCka(x, y), 10);
    }

    [Fact]
    public void RbfBandwidthIgnoresZeroDistancesOfDuplicateRows()
    {
        // 5 rows with one duplicate: 10 pairs, 9 non-zero (odd count after dropping the zero)
        var x = Random(11, 5, 3);
        for (int k = 0; k < 3; k++) x[4, k] = x[1, k];
        double med = MedianNonZero(x);
        var gram = Similarity.RbfGram(x, "x");
        double used = -Dist2(x, 0, 2) / (2 * Math.Log(gram[0, 2]));
        Assert.True(Math.Abs(used - med) < 1e-9 * med, $"bandwidth {used}, median of non-zero {med}");
        Assert.Equal(1.0, gram[1, 4], 12);
        var y = Random(12, 5, 4);
        Assert.Equal(RbfCkaOracle(x, y), Similarity.RbfCka(x, y), 10);
    }

    private static double CosOracle(Matrix x, int i, Matrix y, int j)
    {
        double dot = 0, nx = 0, ny = 0;
        for (int k = 0; k < x.Cols; k++) { dot += x[i, k] * y[j, k]; nx += x[i, k] * x[i, k]; ny += y[j, k] * y[j, k]; }
        return nx == 0 || ny == 0 ? 0 : dot / Math.Sqrt(nx * ny);
    }

    private static IEnumerable<int[]> Permutations(int[] items)
    {
        if (items.Length <= 1) { yield return items; yield break; }
        for (int i = 0; i < items.Length; i++)
            foreach (var rest in Permutations(items.Where((_, k) => k != i).ToArray()))
                yield return [items[i], .. rest];
    }

    [Fact]
    public void ZeroRowsContributeZeroCosine()
    {
        var x = Random(21, 5, 3); var y = Random(22, 5, 3);
        for (int k = 0; k < 3; k++) { x[1, k] = 0; y[3, k] = 0; } // a zero row on each side, different tokens
        double mean = Enumerable.Range(0, 5).Sum(i => CosOracle(x, i, y, i)) / 5;
        Assert.Equal(mean, Similarity.MeanRowCosine(x, y), 12);
        double best = Permutations([0, 1, 2, 3, 4]).Max(p => Enumerable.Range(0, 5).Sum(i => CosOracle(x, i, y, p[i]))) / 5;
        double opt = Similarity.OptimalCosine(x, y, out var matching);
        Assert.Equal(best, opt, 12);
        Assert.Equal(opt, Enumerable.Range(0, 5).Sum(i => CosOracle(x, i, y, matching[i])) / 5, 12);
        Assert.Equal(Enumerable.Range(0, 5).ToArray(), matching.Order().ToArray());
    }

    [Fact]
    public void OptimalCosineOfAScaledPermutationIsOne()
    {
        var x = Random(31, 6, 4);
        int[] perm = [3, 0, 5, 1, 2, 4];
        var y = new Matrix(6, 4);
        for (int i = 0; i < 6; i++) for (int k = 0; k < 4; k++) y[perm[i], k] = 2.5 * x[i, k];
        Assert.Equal(1.0, Similarity.OptimalCosine(x, y, out var m), 12);
        Assert.Equal(perm, m);
        Assert.True(Similarity.MeanRowCosine(x, y) < 0.9);
    }

    [Fact]
    public void InputChecksNameTheProblem()
    {
        var x = Random(41, 4, 3);
        Assert.Contains("rows", Assert.Throws<ArgumentException>(() => Similarity.LinearCka(x, Random(42, 5, 3))).Message);
        Assert.Contains("at least 2 rows", Assert.Throws<ArgumentException>(() => Similarity.RbfCka(Random(43, 1, 3), Random(44, 1, 3))).Message);
        var nan = x.Clone(); nan[2, 1] = double.NaN;
        var inf = x.Clone(); inf[0, 0] = double.PositiveInfinity;
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => Similarity.LinearCka(nan, x)).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => Similarity.MeanRowCosine(x, inf)).Message);
        Assert.Contains("dimensions", Assert.Throws<ArgumentException>(() => Similarity.OptimalCosine(x, Random(45, 4, 2))).Message);
        Assert.Contains("dimensions", Assert.Throws<ArgumentException>(() => Similarity.MeanRowCosine(x, Random(45, 4, 2))).Message);
        var constant = new Matrix(4, 3); constant.Data.AsSpan().Fill(2.0);
        Assert.Contains("constant", Assert.Throws<ArgumentException>(() => Similarity.LinearCka(constant, x)).Message);
        Assert.Contains("constant", Assert.Throws<ArgumentException>(() => Similarity.LinearCka(x, constant)).Message);
        Assert.Contains("identical", Assert.Throws<ArgumentException>(() => Similarity.RbfCka(x, constant)).Message);
        Assert.Contains("identical", Assert.Throws<ArgumentException>(() => Similarity.RbfCka(constant, x)).Message);
        Assert.Throws<ArgumentNullException>(() => Similarity.LinearCka(null!, x));
        Assert.Throws<ArgumentNullException>(() => Similarity.LinearCka(x, null!));
        // valid edge cases: 2 rows; CKA between different widths
        var two = Random(46, 2, 3);
        Assert.Equal(1.0, Similarity.MeanRowCosine(two, two), 14);
        Assert.Equal(1.0, Similarity.LinearCka(two, Random(47, 2, 5)), 12); // two centred rows span one dimension
        Assert.True(double.IsFinite(Similarity.RbfCka(x, Random(48, 4, 7))));
    }

    [Fact]
    public void LinearCkaMatchesTheHsicDefinitionWithDifferentWidths()
    {
        var x = Random(51, 8, 3); var y = Random(52, 8, 5);
        // CKA = tr(Kx H Ky H) / sqrt(tr(Kx H Kx H) tr(Ky H Ky H)), K = X X'
        int n = 8;
        double[,] Hkh(Matrix m)
        {
            var c = new double[n, n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) for (int k = 0; k < m.Cols; k++) c[i, j] += m[i, k] * m[j, k];
            var r = new double[n, n];
            double all = 0; var row = new double[n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) { row[i] += c[i, j] / n; all += c[i, j] / (n * n); }
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) r[i, j] = c[i, j] - row[i] - row[j] + all;
            return r;
        }
        var kx = Hkh(x); var ky = Hkh(y);
        double xy = 0, xx = 0, yy = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) { xy += kx[i, j] * ky[i, j]; xx += kx[i, j] * kx[i, j]; yy += ky[i, j] * ky[i, j]; }
        Assert.Equal(xy / Math.Sqrt(xx * yy), Similarity.LinearCka(x, y), 12);
    }
}
