using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.KernelPcaAudit;
using AttentionSpectra.Models;
using MathNet.Numerics.LinearAlgebra;

namespace AttentionSpectra.Tests.KernelPcaAudit;

public class MetricTests
{
    private static Matrix<double> M(Matrix a) => Matrix<double>.Build.DenseOfArray(a.ToArray());

    private static Matrix RandomOrthogonal(Rng rng, int d)
    {
        var g = M(Samplers.Gaussian(rng, d, d));
        return Matrix.FromArray(g.QR().Q.ToArray());
    }

    [Fact]
    public void Hungarian_MatchesBruteForce()
    {
        var rng = new Rng(11);
        for (int trial = 0; trial < 60; trial++)
        {
            int n = 1 + trial % 7;
            var c = new double[n, n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) c[i, j] = trial % 3 == 0 ? rng.NextInt(4) : rng.NextGaussian();
            var a = Hungarian.Minimize(c);
            Assert.Equal(n, a.Distinct().Count());
            double got = Enumerable.Range(0, n).Sum(i => c[i, a[i]]);
            double best = double.PositiveInfinity;
            foreach (var p in Permutations(Enumerable.Range(0, n).ToArray(), 0))
                best = Math.Min(best, Enumerable.Range(0, n).Sum(i => c[i, p[i]]));
            Assert.Equal(best, got, 9);
        }
    }

    private static IEnumerable<int[]> Permutations(int[] a, int k)
    {
        if (k == a.Length) { yield return (int[])a.Clone(); yield break; }
        for (int i = k; i < a.Length; i++)
        {
            (a[k], a[i]) = (a[i], a[k]);
            foreach (var p in Permutations(a, k + 1)) yield return p;
            (a[k], a[i]) = (a[i], a[k]);
        }
    }

    [Fact]
    public void Hungarian_RejectsNonSquareAndNaN()
    {
        Assert.Throws<ArgumentException>(() => Hungarian.Minimize(new double[2, 3]));
        Assert.Throws<ArgumentException>(() => Hungarian.Minimize(new double[,] { { 1, double.NaN }, { 0, 1 } }));
    }

    [Fact]
    public void OptimalCosine_RecoversAPermutation()
    {
        var rng = new Rng(3);
        var x = Samplers.Gaussian(rng, 30, 6);
        var perm = Enumerable.Range(0, 30).OrderBy(_ => rng.NextDouble()).ToArray();
        var y = new Matrix(30, 6);
        for (int i = 0; i < 30; i++) x.RowReadOnly(perm[i]).CopyTo(y.Row(i));
        double oc = Similarity.OptimalCosine(y, x, out var match);
        Assert.Equal(1.0, oc, 12);
        Assert.Equal(perm, match);
        Assert.True(Similarity.MeanRowCosine(y, x) < 0.5);
    }

    [Fact]
    public void Cka_InvariantToOrthogonalTransformAndIsotropicScaling()
    {
        var rng = new Rng(5);
        var x = Samplers.Gaussian(rng, 50, 7);
        var y = x * Samplers.Gaussian(rng, 7, 5) + 0.8 * Samplers.Gaussian(rng, 50, 5);
        double lin = Similarity.LinearCka(x, y), rbf = Similarity.RbfCka(x, y);
        Assert.InRange(lin, 0.05, 0.99);
        var x2 = 3.7 * (x * RandomOrthogonal(rng, 7));
        var y2 = 0.02 * (y * RandomOrthogonal(rng, 5));
        Assert.Equal(lin, Similarity.LinearCka(x2, y2), 10);
        Assert.Equal(rbf, Similarity.RbfCka(x2, y2), 10);
        Assert.Equal(1.0, Similarity.LinearCka(x, x2), 10);
        Assert.Equal(1.0, Similarity.RbfCka(x, x2), 10);
        // not invariant to an anisotropic scaling (the check can fail)
        var s = x.Clone();
        for (int i = 0; i < 50; i++) s[i, 0] *= 10;
        Assert.True(Math.Abs(Similarity.LinearCka(s, y) - lin) > 1e-3);
    }

    [Fact]
    public void Cka_MatchesHsicFormulaWithMathNet()
    {
        var rng = new Rng(6);
        int n = 25;
        var x = Samplers.Gaussian(rng, n, 4);
        var y = Samplers.Gaussian(rng, n, 3) + x * Samplers.Gaussian(rng, 4, 3);
        var H = Matrix<double>.Build.DenseIdentity(n) - Matrix<double>.Build.Dense(n, n, 1.0 / n);
        double Hsic(Matrix<double> k, Matrix<double> l) => (k * H * l * H).Trace();
        double Cka(Matrix<double> k, Matrix<double> l) => Hsic(k, l) / Math.Sqrt(Hsic(k, k) * Hsic(l, l));
        var kx = M(x) * M(x).Transpose(); var ky = M(y) * M(y).Transpose();
        Assert.Equal(Cka(kx, ky), Similarity.LinearCka(x, y), 10);
        Matrix<double> Rbf(Matrix a)
        {
            var d2 = Matrix<double>.Build.Dense(n, n, (i, j) => (M(a).Row(i) - M(a).Row(j)).L2Norm() is var d ? d * d : 0);
            var nz = new List<double>();
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) if (d2[i, j] > 0) nz.Add(d2[i, j]);
            double med = MathNet.Numerics.Statistics.Statistics.Median(nz);
            return d2.Map(v => Math.Exp(-v / (2 * med)));
        }
        Assert.Equal(Cka(Rbf(x), Rbf(y)), Similarity.RbfCka(x, y), 10);
    }

    [Fact]
    public void KernelPca_SolvesTheCentredEigenproblem()
    {
        var rng = new Rng(8);
        var (q, k, _) = SyntheticHeads.QueriesKeys(rng, 30, 16, 5);
        var r = KernelPca.Compute(q, k, 5);
        int n = 30;
        // naive K_phi with plain exponentials, centred with explicit H, eigen-decomposed by MathNet
        var s = M(k) * M(k).Transpose() / Math.Sqrt(5);
        var e = s.Map(Math.Exp);
        var g = e.RowSums();
        var kphi = Matrix<double>.Build.Dense(n, n, (i, j) => e[i, j] / (g[i] * g[j]));
        var H = Matrix<double>.Build.DenseIdentity(n) - Matrix<double>.Build.Dense(n, n, 1.0 / n);
        var kc = H * kphi * H;
        var ev = kc.Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).OrderByDescending(v => v).Take(5).ToArray();
        for (int d = 0; d < 5; d++) Assert.Equal(ev[d], r.Eigenvalues[d], 12);
        for (int d = 0; d < 5; d++)
        {
            var a = Vector<double>.Build.DenseOfArray(r.A.Column(d));
            Assert.True((kc * a - r.Eigenvalues[d] * a).L2Norm() < 1e-12);
            // V_KPCA = diag(1/g)(A - 1_N A)
            double mean = a.Average();
            for (int i = 0; i < n; i++) Assert.Equal((a[i] - mean) / g[i], r.VKpca[i, d], 12);
        }
    }

    [Fact]
    public void KpcaHead_ScoresOneOnEveryMetric()
    {
        var rng = new Rng(21);
        for (int t = 0; t < 3; t++)
        {
            var head = SyntheticHeads.KpcaHead(rng.Split((ulong)t), 48, 24, 6, qkScale: 1 + t);
            var m = HeadAudit.Audit(head, rng.Split(100 + (ulong)t), new AuditOptions(CosineSigns: CosineSigns.Aligned));
            Assert.Equal(1.0, m.MeanCosine, 9);
            Assert.Equal(1.0, m.OptimalCosine, 9);
            Assert.Equal(1.0, m.LinearCka, 9);
            Assert.Equal(1.0, m.RbfCka, 9);
            Assert.True(m.GammaLearned.Residual < 1e-7, $"learned residual {m.GammaLearned.Residual}");
            Assert.True(m.GammaTrue.Residual < 1e-9);
            Assert.True(m.GammaControl.Residual > 0.05, $"control residual {m.GammaControl.Residual}");
        }
    }

    /// <summary>Null: V independent of the tokens (i.i.d. Gaussian). Each metric of a random head is one draw from its permutation null
    /// (V's rows shuffled), so |z| = |metric - mean_null| / sd_null should be below 4 (false-alarm rate ~1e-4 per
    /// check under normality), and no metric comes near the value 1 of a kernel-PCA head.</summary>
    [Fact]
    public void RandomHead_ScoresNearThePermutationNull()
    {
        var rng = new Rng(31);
        int n = 40, d = 6;
        var kpcaHead = SyntheticHeads.KpcaHead(rng.Split(999), n, 24, d);
        for (int t = 0; t < 3; t++)
        {
            var head = SyntheticHeads.IndependentHead(rng.Split((ulong)t), n, 24, d);
            var vk = KernelPca.Compute(head.Q, head.K, d).VKpca;
            Func<Matrix, Matrix, double>[] metrics =
            [
                (a, v) => Similarity.MeanRowCosine(HeadAudit.AlignSigns(a, v), v),
                (a, v) => Similarity.OptimalCosine(HeadAudit.AlignSigns(a, v), v),
                Similarity.LinearCka, Similarity.RbfCka,
            ];
            var pr = rng.Split(50 + (ulong)t);
            foreach (var f in metrics)
            {
                double obs = f(vk, head.V);
                var nulls = new List<double>();
                for (int p = 0; p < 60; p++)
                {
                    var perm = Enumerable.Range(0, n).OrderBy(_ => pr.NextDouble()).ToArray();
                    var vp = new Matrix(n, d);
                    for (int i = 0; i < n; i++) head.V.RowReadOnly(perm[i]).CopyTo(vp.Row(i));
                    nulls.Add(f(vk, vp));
                }
                double mu = nulls.Average(), sd = Math.Sqrt(nulls.Sum(x => (x - mu) * (x - mu)) / (nulls.Count - 1));
                Assert.True(Math.Abs(obs - mu) < 4 * sd, $"metric {Array.IndexOf(metrics, f)}: {obs} vs null {mu} ± {sd}");
                Assert.True(obs < 0.9, $"random head scored {obs}");
            }
        }
        // the V = V_KPCA head is far outside its null
        var m = HeadAudit.Audit(kpcaHead, rng.Split(7), new AuditOptions(CosineSigns: CosineSigns.Aligned));
        Assert.True(m.LinearCka > 0.999 && m.OptimalCosine > 0.999);
    }

    [Fact]
    public void JProj_LogDomainMatchesNaiveAndSurvivesLargeScores()
    {
        var rng = new Rng(41);
        var head = SyntheticHeads.RandomHead(rng, 20, 12, 4, qkScale: 1.5);
        var j = HeadAudit.JProj(head.Q, head.K, head.V);
        int n = 20; double sd = Math.Sqrt(4);
        double phi = 0, hh = 0;
        var q = M(head.Q); var k = M(head.K); var v = M(head.V);
        for (int i = 0; i < n; i++)
        {
            double g = 0;
            var w = new double[n];
            for (int jx = 0; jx < n; jx++) { w[jx] = Math.Exp(q.Row(i) * k.Row(jx) / sd); g += w[jx]; }
            phi += Math.Exp(q.Row(i) * q.Row(i) / sd) / (g * g);
            var h = Vector<double>.Build.Dense(4);
            for (int jx = 0; jx < n; jx++) h += w[jx] / g * v.Row(jx);
            hh += h * h;
        }
        Assert.Equal(Math.Log10(phi / n), j.Log10PhiTerm, 10);
        Assert.Equal(Math.Log10(hh / n), j.Log10HTerm, 10);
        Assert.Equal(phi / n - hh / n, j.JProj, 10);
        // scores of order 1e3: the naive formula overflows, the log form stays finite
        var big = HeadAudit.JProj(60 * head.Q, 60 * head.K, head.V);
        Assert.True(double.IsFinite(big.Log10PhiTerm) && double.IsFinite(big.Log10HTerm));
    }

    [Fact]
    public void Gamma_TrueEigenvectorsAreConsistentAndPerturbedAreNot()
    {
        var rng = new Rng(51);
        var (q, k, _) = SyntheticHeads.QueriesKeys(rng, 40, 16, 6);
        var r = KernelPca.Compute(q, k, 6);
        var g = HeadAudit.Gamma(r.Kc, r.A);
        Assert.True(g.Residual < 1e-10 && g.Spread < 1e-8);
        var a = r.A.Clone();
        var noise = Samplers.Gaussian(rng, 40, 6);
        for (int i = 0; i < a.Data.Length; i++) a.Data[i] += 0.3 / Math.Sqrt(40) * noise.Data[i];
        var gc = HeadAudit.Gamma(r.Kc, HeadAudit.Orthonormalise(a));
        Assert.True(gc.Residual > 0.05 && gc.Spread > 0.05);
    }

    [Fact]
    public void Metrics_RejectBadInput()
    {
        var x = new Matrix(5, 3);
        Assert.Throws<ArgumentException>(() => Similarity.LinearCka(x, new Matrix(4, 3)));
        Assert.Throws<ArgumentException>(() => Similarity.MeanRowCosine(x, new Matrix(5, 2)));
        Assert.Throws<ArgumentException>(() => Similarity.RbfCka(x, x)); // all rows identical
        var bad = new Matrix(5, 3); bad[0, 0] = double.NaN;
        Assert.Throws<ArgumentException>(() => KernelPca.Compute(bad, bad, 2));
        var ok = Samplers.Gaussian(new Rng(1), 5, 3);
        Assert.Throws<ArgumentException>(() => KernelPca.Compute(ok, ok, 6));
    }
}
