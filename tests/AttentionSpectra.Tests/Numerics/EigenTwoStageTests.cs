using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.Numerics;

/// <summary>Eigenvalues through the two-stage reduction (dense to band by GEMMs, bulge chasing to tridiagonal):
/// against MathNet and the one-stage reduction, at band-boundary sizes, and on matrices with a known spectrum
/// (graded over 12 orders of magnitude, tight clusters) at n = 4000.</summary>
public class EigenTwoStageTests
{
    [Fact]
    public void TwoThreadBulgeChasingIsBitForBitTheSerialOne()
    {
        // the pipelined sweeps must reproduce the serial order of operations on every row: any missing wait would
        // show up as a different rounding (or garbage) in d and e; repeated to give a race several chances
        int n = 777;
        var a = EigenTestUtil.RandomSymmetric(new Rng(31), n);
        int saved = TwoStageTridiagonal.ParallelChaseMinimum;
        try
        {
            TwoStageTridiagonal.ParallelChaseMinimum = int.MaxValue;
            var (d1, e1) = TwoStageTridiagonal.Reduce(a);
            TwoStageTridiagonal.ParallelChaseMinimum = 0;
            for (int rep = 0; rep < 4; rep++)
            {
                var (d2, e2) = TwoStageTridiagonal.Reduce(a);
                Assert.Equal(d1, d2);
                Assert.Equal(e1, e2);
            }
        }
        finally { TwoStageTridiagonal.ParallelChaseMinimum = saved; }
    }

    [Fact]
    public void LookAheadBandReductionIsBitForBitTheOneThreadOne()
    {
        // with more than one GEMM thread, one worker updates and factors the next panel while the others update the
        // rest of the trailing matrix (double-buffered V and Z); with one thread the same products run one after the
        // other. Every entry sees the same arithmetic either way, so a race or a stale buffer shows up as a
        // difference; the one-thread values are also checked against MathNet
        int n = 777;
        var a = EigenTestUtil.RandomSymmetric(new Rng(33), n);
        int saved = GemmCore.MaxThreads;
        try
        {
            GemmCore.MaxThreads = 1;
            var (d1, e1) = TwoStageTridiagonal.Reduce(a);
            GemmCore.MaxThreads = 2;
            for (int rep = 0; rep < 3; rep++)
            {
                var (d2, e2) = TwoStageTridiagonal.Reduce(a);
                Assert.Equal(d1, d2);
                Assert.Equal(e1, e2);
            }
            var vals = Tridiagonal.BlockEigenvalues(d1, e1, 0, n);
            Array.Sort(vals);
            var oracle = EigenTestUtil.OracleValues(a);
            Assert.True(EigenTestUtil.MaxAbsDiff(vals, oracle) < 1e-12 * a.FrobeniusNorm(), "eigenvalues differ from MathNet");
        }
        finally { GemmCore.MaxThreads = saved; }
    }

    private sealed class CancelOnBulgeChasing(CancellationTokenSource cts) : IProgress<ProgressUpdate>
    {
        public void Report(ProgressUpdate value)
        {
            if (value.Task == "bulge chasing") cts.Cancel();
        }
    }

    [Fact]
    public async Task CancellingDuringTwoThreadBulgeChasingThrowsAndReturns()
    {
        // the worker that sees the cancellation must release the other (which may be waiting on its sweep)
        var a = EigenTestUtil.RandomSymmetric(new Rng(32), 900);
        using var cts = new CancellationTokenSource();
        var run = await EigenTestUtil.ReduceOnTwoChaseWorkers(a, new CancelOnBulgeChasing(cts), cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(33)]   // b + 1
    [InlineData(34)]
    [InlineData(64)]   // 2b
    [InlineData(65)]
    [InlineData(97)]
    [InlineData(160)]
    public void BandBoundarySizesMatchMathNet(int n)
    {
        var a = EigenTestUtil.RandomSymmetric(new Rng((ulong)n), n);
        double err = EigenTestUtil.MaxAbsDiff(EigenTestUtil.TwoStageValues(a), EigenTestUtil.OracleValues(a));
        Assert.True(err <= 1e-12 * a.FrobeniusNorm(), $"n={n}: max |dl| = {err:E2}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(40)]
    public void TridiagonalFormHasNDiagonalAndNMinusOneOffDiagonalEntries(int n)
    {
        var a = EigenTestUtil.RandomSymmetric(new Rng(7), n);
        var (d, e) = TwoStageTridiagonal.Reduce(a);
        Assert.Equal(n, d.Length);
        Assert.Equal(n - 1, e.Length);
        // similarity keeps the trace and the Frobenius norm: sum d = tr A, sum d^2 + 2 sum e^2 = |A|_F^2
        Assert.Equal(a.Trace(), d.Sum(), 1e-12 * n);
        double f2 = d.Sum(x => x * x) + 2 * e.Sum(x => x * x), fa = a.FrobeniusNorm();
        Assert.True(Math.Abs(f2 - fa * fa) <= 1e-12 * fa * fa, $"|T|_F^2 = {f2}, |A|_F^2 = {fa * fa}");
    }

    /// <summary>Symmetric matrix with O(1) entries within <paramref name="halfBandwidth"/> of the diagonal and
    /// entries of size <paramref name="small"/> outside it.</summary>
    private static Matrix NearlyBanded(Rng rng, int n, int halfBandwidth, double small)
    {
        var a = new Matrix(n, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
            {
                double x = rng.NextGaussian() * (i - j <= halfBandwidth ? 1 : small);
                a[i, j] = x; a[j, i] = x;
            }
        return a;
    }

    [Theory]
    [InlineData(32, 1e-20)] // stage 1 panels: the first entry of each column is O(1), the rest 1e-20
    [InlineData(32, 1e-7)]
    [InlineData(1, 1e-7)]   // stage 2 sweeps: the first entry of each reflector is O(1), the rest 1e-7
    public void ReflectorsKeepAccuracyWhenTheColumnIsAlmostAMultipleOfE1(int halfBandwidth, double small)
    {
        // Householder's beta = -sign(alpha) |x| avoids the cancellation in alpha - beta when |x_2..| << |alpha|
        // (beta of the same sign as alpha divides by a difference of rounding size: 1/0 at 1e-20, a reflector
        // orthogonal only to about 1e-4 at 1e-7)
        Assert.Equal(32, TwoStageTridiagonal.Band);
        int n = 130;
        var a = NearlyBanded(new Rng(11), n, halfBandwidth, small);
        double err = EigenTestUtil.MaxAbsDiff(EigenTestUtil.TwoStageValues(a), EigenTestUtil.OracleValues(a));
        Assert.True(err <= 1e-12 * a.FrobeniusNorm(), $"max |dl| = {err:E2}");
    }

    [Fact]
    public void PublicEigenvaluesUseTwoStageAndAgreeWithOneStage()
    {
        int n = 517; // above TwoStageMinimum, not a multiple of the band
        Assert.True(n >= SymmetricEigen.TwoStageMinimum);
        var a = EigenTestUtil.RandomSymmetric(new Rng(3), n);
        var tri = new HouseholderTridiagonal(a);
        var one = Tridiagonal.BlockEigenvalues(tri.D, tri.E, 0, n);
        Array.Sort(one);
        var two = SymmetricEigen.Eigenvalues(a);
        double err = EigenTestUtil.MaxAbsDiff(one, two);
        Assert.True(err <= 1e-12 * a.FrobeniusNorm(), $"one- vs two-stage: {err:E2}");
        // only the lower triangle is read
        var lower = a.Clone();
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) lower[i, j] = 1e300;
        Assert.Equal(two, SymmetricEigen.Eigenvalues(lower));
    }

    /// <summary>A = H3 H2 H1 diag(l) H1 H2 H3 with random Householder reflectors H = I - 2 u u' (dense, eigenvalues
    /// exactly l up to the rounding of the construction, O(n^2) to build).</summary>
    private static Matrix WithSpectrumByReflectors(Rng rng, double[] l, int reflectors = 3)
    {
        int n = l.Length;
        var a = new Matrix(n, n);
        for (int i = 0; i < n; i++) a[i, i] = l[i];
        var w = new double[n];
        for (int r = 0; r < reflectors; r++)
        {
            var u = rng.UnitVector(n);
            // A := H A H = A - 2 u (A u)' - 2 (A u) u' + 4 (u'Au) u u'
            for (int i = 0; i < n; i++)
            {
                double s = 0;
                var row = a.RowReadOnly(i);
                for (int j = 0; j < n; j++) s += row[j] * u[j];
                w[i] = s;
            }
            double uau = 0;
            for (int i = 0; i < n; i++) uau += u[i] * w[i];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    a[i, j] += -2 * u[i] * w[j] - 2 * w[i] * u[j] + 4 * uau * u[i] * u[j];
        }
        return a;
    }

    private static void CheckKnownSpectrum(double[] l, ulong seed, string what)
    {
        var truth = (double[])l.Clone();
        Array.Sort(truth);
        var a = WithSpectrumByReflectors(new Rng(seed), l);
        double norm = truth.Max(Math.Abs);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var vals = SymmetricEigen.Eigenvalues(a);
        double err = EigenTestUtil.MaxAbsDiff(vals, truth);
        Assert.True(err <= 1e-13 * l.Length * norm / 100,
            $"{what}: max |dl| = {err:E2} (|A|_2 = {norm:E2}, {sw.Elapsed.TotalSeconds:F1} s)");
    }

    [Fact]
    public void GradedSpectrumN4000()
    {
        int n = 4000;
        var l = new double[n];
        for (int i = 0; i < n; i++) l[i] = (i % 2 == 0 ? 1 : -1) * Math.Pow(10, -12.0 * i / (n - 1));
        CheckKnownSpectrum(l, 41, "graded");
    }

    [Fact]
    public void ClusteredSpectrumN4000()
    {
        int n = 4000;
        var rng = new Rng(43);
        var centres = new[] { -3.0, -1e-3, 0.5, 2.0 };
        var l = new double[n];
        for (int i = 0; i < n; i++) l[i] = centres[i % 4] + 1e-10 * (rng.NextDouble() - 0.5);
        CheckKnownSpectrum(l, 44, "clustered");
    }
}

/// <summary>The 6 x 32 register-tile kernel of the symmetric product on its own: every row count (full tiles and
/// remainder rows), read in place by rows or transposed (column stride = row length), overwriting or
/// accumulating, against the plain triple loop. Vector512 runs in software where AVX-512 is missing, so the
/// kernel is checked on any machine.</summary>
public unsafe class TwoStagePanelKernelTests
{
    [Theory]
    [InlineData(6, 5, false, false)]
    [InlineData(7, 5, false, true)]
    [InlineData(7, 5, true, false)]
    [InlineData(11, 9, true, true)]
    [InlineData(1, 3, true, true)]
    public void Panel32MatchesTheTripleLoop(int h, int kk, bool transposed, bool accumulate)
    {
        var rng = new Rng((ulong)(h * 100 + kk));
        int lda = Math.Max(h, kk) + 3, ldv = 35, ldy = 37;
        // A(i, p) at a[i rs + p cs]: row i of a row-major block, or column i of a transposed one
        nint rs = transposed ? 1 : lda, cs = transposed ? lda : 1;
        var a = new double[lda * lda];
        var v = new double[kk * ldv];
        var y = new double[h * ldy];
        for (int i = 0; i < a.Length; i++) a[i] = rng.NextGaussian();
        for (int i = 0; i < v.Length; i++) v[i] = rng.NextGaussian();
        for (int i = 0; i < y.Length; i++) y[i] = rng.NextGaussian();
        var expected = (double[])y.Clone();
        for (int i = 0; i < h; i++)
            for (int c = 0; c < 32; c++)
            {
                double s = accumulate ? y[i * ldy + c] : 0;
                for (int p = 0; p < kk; p++) s += a[i * rs + p * cs] * v[p * ldv + c];
                expected[i * ldy + c] = s;
            }
        fixed (double* pa = a, pv = v, py = y)
            TwoStageTridiagonal.Panel32(h, kk, pa, rs, cs, pv, ldv, py, ldy, accumulate);
        for (int i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(y[i] - expected[i]) <= 1e-13 * (1 + Math.Abs(expected[i])),
                $"h={h} kk={kk} transposed={transposed}: y[{i / ldy},{i % ldy}] = {y[i]} vs {expected[i]}");
    }
}
