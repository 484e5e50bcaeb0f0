using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PcaAlignment;

namespace AttentionSpectra.Tests.PcaAlignment;

/// <summary>The paper presets against a small hand-written gradient descent (plain loops over double[,], written
/// from the formulas, no library calls but the seeded generator for mu_0), and the new run options.</summary>
public class PaperFigureTests
{
    private static readonly double[,] GivenSigma =
    {
        { 4.0, 1.0, 0.5, 0.0, 0.2 },
        { 1.0, 3.0, 0.3, 0.1, 0.0 },
        { 0.5, 0.3, 2.0, 0.4, 0.1 },
        { 0.0, 0.1, 0.4, 1.0, 0.2 },
        { 0.2, 0.0, 0.1, 0.2, 0.5 },
    };

    private static Matrix ToMatrix(double[,] a)
    {
        int n = a.GetLength(0);
        var m = new Matrix(n, n);
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) m[i, j] = a[i, j];
        return m;
    }

    private static double[] Mul(double[,] s, double[] x)
    {
        int n = x.Length;
        var y = new double[n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) y[i] += s[i, j] * x[j];
        return y;
    }

    private static double Dot(double[] a,
        double[] b) { double s = 0; for (int i = 0; i < a.Length; i++) s += a[i] * b[i]; return s; }

    /// <summary>mu_0 of run s: a standard normal vector from stream (s, 1) of the master seed, normalised.</summary>
    private static double[] UnitInit(ulong seed, int s, int d)
    {
        var z = new double[d];
        new Rng(seed).Split((ulong)s).Split(1).FillGaussian(z);
        double n = Math.Sqrt(Dot(z, z));
        return z.Select(v => v / n).ToArray();
    }

    /// <summary>GD on R_inf: grad = -4 lam S^2 mu + 2 lam^2 (a S^2 mu + b S mu).</summary>
    private static double[] HandGdRInf(double[,] s, double[] mu0, double lam, double lr, int steps)
    {
        var mu = (double[])mu0.Clone();
        for (int t = 0; t < steps; t++)
        {
            var sm = Mul(s, mu); var s2m = Mul(s, sm);
            double a = Dot(mu, sm), b = Dot(sm, sm);
            for (int i = 0; i < mu.Length; i++) mu[i] -= lr * (-4 * lam * s2m[i] + 2 * lam * lam * (a * s2m[i]
                + b * sm[i]));
        }
        return mu;
    }

    /// <summary>GD on R_lin,L = t - 2 lam t a - 2 lam (L+1) b + lam^2 (L+2) t a^2 + lam^2 (L+2)(L+3) a b,
    /// gradient written out term by term (c = 2 exact, 4 as in the authors' code).</summary>
    private static double[] HandGdRLin(double[,] s, double[] mu0, double lam, double lr, int steps, int l, double c = 2)
    {
        var mu = (double[])mu0.Clone();
        double tr = 0; for (int i = 0; i < mu.Length; i++) tr += s[i, i];
        for (int t = 0; t < steps; t++)
        {
            var sm = Mul(s, mu); var s2m = Mul(s, sm);
            double a = Dot(mu, sm), b = Dot(sm, sm);
            for (int i = 0; i < mu.Length; i++)
            {
                double g = -4 * lam * tr * sm[i] - 4 * lam * (l + 1) * s2m[i] + 4 * lam * lam * (l + 2) * tr * a * sm[i]
                           + c * lam * lam * (l + 2) * (l + 3) * (b * sm[i] + a * s2m[i]);
                mu[i] -= lr * g;
            }
        }
        return mu;
    }

    private static double MaxRelDiff(double[] a, double[] b)
    {
        double n = Math.Sqrt(Dot(b, b)), m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m / n;
    }

    [Fact]
    public void EveryFigureOfThePaperHasAPreset()
    {
        var names = PcaReproduce.FigureNames;
        foreach (var f in new[] { "fig1", "fig2", "fig3a", "fig3b", "fig4a", "fig4b", "fig5a", "fig5b", "fig6a",
            "fig6b",
                     "fig7a", "fig7b", "fig8a", "fig8b" })
            Assert.Contains(f, names);
        foreach (var p in PaperFigures.Pca) { p.Options.Validate(); p.Sgd?.Validate(); }
        foreach (var p in PaperFigures.Icl) { p.Options.Validate(); p.Sgd?.Validate(); }
    }

    [Fact]
    public void Fig3bWithGivenSigmaAndUnitInitMatchesHandWrittenGd()
    {
        const ulong seed = 7;
        var preset = PaperFigures.Apply(PaperFigures.FindPca("fig3b")!,
            new FigureOverrides(Sigma: ToMatrix(GivenSigma), Seeds: 3, Steps: 800, Init: InitLaw.Unit));
        Assert.Equal(TrainHead.Infinite, preset.Options.Head);
        var r = PaperFigures.Run(preset, seed);
        for (int s = 0; s < 3; s++)
        {
            var mu0 = UnitInit(seed, s, 5);
            Assert.True(MaxRelDiff(r.Train!.Runs[s].InitialParameters!, mu0) < 1e-15);
            var hand = HandGdRInf(GivenSigma, mu0, 0.01, 1e-3, 800);
            double diff = MaxRelDiff(r.Train.Runs[s].Trace.FinalParameters, hand);
            Assert.True(diff < 1e-10, $"seed {s}: relative difference {diff}");
        }
    }

    [Fact]
    public void Fig4bWithGivenSigmaAndUnitInitMatchesHandWrittenGdOnRLin()
    {
        const ulong seed = 11;
        foreach (double c in new[] { 2.0, 4.0 })
        {
            var preset = PaperFigures.Apply(PaperFigures.FindPca("fig4b")!,
                new FigureOverrides(Sigma: ToMatrix(GivenSigma), Seeds: 2, Steps: 1500, Init: InitLaw.Unit,
                    LinearCrossTermFactor: c));
            var r = PaperFigures.Run(preset, seed);
            for (int s = 0; s < 2; s++)
            {
                var hand = HandGdRLin(GivenSigma, UnitInit(seed, s, 5), 0.01, 1e-4, 1500, 6, c);
                double diff = MaxRelDiff(r.Train!.Runs[s].Trace.FinalParameters, hand);
                Assert.True(diff < 1e-10, $"c = {c}, seed {s}: relative difference {diff}");
            }
        }
    }

    [Fact]
    public void RLinearGradientMatchesFiniteDifferences()
    {
        var sigma = ToMatrix(GivenSigma);
        var mu = new[] { 0.3, -0.2, 0.5, 0.1, -0.4 };
        var g = ClosedForms.RLinearGradient(sigma, mu, 0.05, 6);
        var fd = TestUtil.FiniteDifference(m => ClosedForms.RLinear(sigma, m, 0.05, 6), mu, 1e-5);
        Assert.True(TestUtil.MaxAbsDiff(g, fd) < 1e-7 * (1 + TestUtil.MaxAbs(fd)));
    }

    [Fact]
    public void Fig6bSweepCouplesLAndLamAndLrToDAndMatchesHandWrittenGd()
    {
        const ulong seed = 3;
        var preset = PaperFigures.Apply(PaperFigures.FindPca("fig6b")!,
            new FigureOverrides(Values: [3, 8], Seeds: 2, Steps: 300));
        var r = PaperFigures.Run(preset, seed);
        foreach (var (p, d) in r.Sweep!.Zip(new[] { 3, 8 }))
        {
            Assert.Equal(d, p.Options.L);
            Assert.Equal(0.01 / d, p.Options.Lam, 15);
            Assert.Equal(1.0 / (d * d), p.Options.Lr, 15);
            // Per-figure Sigma: the one run 0 would draw, shared by both runs.
            var sigma = PcaExperiments.RandomCovariance(new Rng(seed).Split(0).Split(0), d);
            var s = new double[d, d];
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) s[i, j] = sigma[i, j];
            var top = PcaExperiments.SortedEigen(sigma).Vectors[0];
            for (int k = 0; k < 2; k++)
            {
                var mu = HandGdRLin(s, UnitInit(seed, k, d), 0.01 / d, 1.0 / (d * d), 300, d);
                double align = Math.Abs(Dot(mu, top)) / Math.Sqrt(Dot(mu, mu));
                Assert.Equal(align, p.Finals![k], 10);
            }
        }
    }

    [Fact]
    public void BootstrapBandBracketsTheMeanAndCollapsesForEqualValues()
    {
        var rng = new Rng(5);
        var (lo0, hi0) = SeedStatistics.Band([0.7, 0.7, 0.7], BandKind.Bootstrap95, rng);
        Assert.Equal(0.7, lo0, 15); Assert.Equal(0.7, hi0, 15);
        var x = Enumerable.Range(0, 10).Select(i => 0.9 + 0.01 * i).ToArray();
        var (lo, hi) = SeedStatistics.Band(x, BandKind.Bootstrap95, new Rng(6));
        double m = x.Average(), se = SeedStatistics.Std(x) / Math.Sqrt(x.Length);
        Assert.True(lo < m && m < hi && lo >= x.Min() && hi <= x.Max());
        // The percentile interval of the bootstrap mean is close to mean +- 1.96 se (within 25% for n = 10).
        Assert.InRange((hi - lo) / (2 * 1.96 * se), 0.75, 1.1);
    }

    [Fact]
    public void InitLawsHaveTheStatedScale()
    {
        var unit = InitLaw.Unit.Draw(new Rng(1), 3, 7);
        for (int j = 0; j < 3; j++) Assert.Equal(1.0, Math.Sqrt(unit.Skip(7 * j).Take(7).Sum(v => v * v)), 14);
        var g = InitLaw.Gaussian(0.1).Draw(new Rng(2), 1, 20000);
        double sd = Math.Sqrt(g.Sum(v => v * v) / g.Length);
        Assert.InRange(sd, 0.1 * (1 - 4 / Math.Sqrt(2 * 20000.0)), 0.1 * (1 + 4 / Math.Sqrt(2 * 20000.0)));
        // The historical default is unchanged: N(0, s^2/d) from the same stream as PcaExperiments.Init.
        Assert.Equal(PcaExperiments.Init(new Rng(3), 2, 5, 0.01), InitLaw.ScaledGaussian(0.01).Draw(new Rng(3), 2, 5));
    }

    [Fact]
    public void SigmaMustBeSymmetricPositiveDefinite()
    {
        var bad = ToMatrix(GivenSigma); bad[0, 1] = 2;
        Assert.Throws<NumericsException>(() => CovarianceChecks.RequireSymmetricPositiveDefinite(bad));
        var indefinite = Matrix.Diagonal([1.0, -1.0]);
        Assert.Throws<NumericsException>(() => CovarianceChecks.RequireSymmetricPositiveDefinite(indefinite));
        Assert.ThrowsAny<ArgumentException>(() => new PcaTrainOptions(D: 4, Sigma: ToMatrix(GivenSigma)).Validate());
    }

    [Fact]
    public void GroupedIclGradientIsTheMeanOverItsSigmasAndPrompts()
    {
        int d = 4, n = 3, l = 7, sigmas = 3, per = 2;
        var v = new Rng(1).UnitVector(d);
        var mu = new[] { 0.2, -0.1, 0.3, 0.05 };
        var gg = new GroupedWishartGradient(v, n, 1.0, 2.0, AttentionSpectra.Attention.HeadKind.Softmax, l, 0.5, sigmas,
            per);
        var step = new Rng(9);
        var grad = new double[d];
        double loss = gg.Compute(mu, grad, step);
        // By hand: group g draws y_r = xi z_r + sqrt(theta) s_r v from stream (g, 0), prompt p draws x_t = sum_r g_tr
        // y_r
        // from stream (g, 1 + p); average the per-prompt losses and gradients.
        var want = new double[d]; double wantLoss = 0;
        var ws = new AttentionSpectra.Attention.HeadWorkspace(l, d, 1);
        for (int g = 0; g < sigmas; g++)
        {
            var grng = step.Split((ulong)g);
            var yr = grng.Split(0);
            var y = new double[n * d]; yr.FillGaussian(y);
            var sp = new double[n]; yr.FillGaussian(sp);
            for (int r = 0; r < n; r++) for (int i = 0; i < d; i++) y[r * d + i] = y[r * d + i]
                + Math.Sqrt(2.0) * sp[r] * v[i];
            for (int p = 0; p < per; p++)
            {
                var coef = new double[l * n]; grng.Split(1 + (ulong)p).FillGaussian(coef);
                var x = new double[l * d];
                for (int t = 0; t < l; t++) for (int r = 0; r < n; r++) for (int i = 0; i < d; i++) x[t * d
                    + i] += coef[t * n + r] * y[r * d + i];
                wantLoss += AttentionSpectra.Attention.AttentionHead.LossAndGradient(AttentionSpectra.Attention.HeadKind.Softmax, x, l, d,
                    mu, 1, 0.5, want, 1.0 / (sigmas * per), ws);
            }
        }
        Assert.Equal(wantLoss / (sigmas * per), loss, 12);
        Assert.True(TestUtil.MaxAbsDiff(want, grad) < 1e-12 * (1 + TestUtil.MaxAbs(want)));
    }
}
