using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PooledSpectra;
using Xunit.Abstractions;

namespace AttentionSpectra.Tests.PooledSpectra;

public class SimulationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(5000, 5000, 16)] // delta = gamma = 0.2; the lower edge is well away from 0 so a relative check is meaningful
    [InlineData(5000, 5000, 4)]  // few tokens per sequence: the sparse pooled noise still follows the free-product law
    public void BulkEdgesMatchTheoryAtD1000WithinTwoPercent(int v, int n, int t)
    {
        var model = new PooledModel(1000, v, n, PoolingWeights.Mean(t), Correlations.Independent(t));
        var bulk = new FreeProductMP(model.Delta, model.Gamma, model.Kappa);
        var rng = new Rng(11);
        var ws = new PooledSimulator.Workspace(model);
        var tops = new List<double>();
        var bottoms = new List<double>();
        for (int trial = 0; trial < 2; trial++)
        {
            var r = rng.Split((ulong)trial);
            PooledSimulator.BuildPooled(model, 0, r, ws, parallelRows: true);
            var top = Lanczos.TopK(Lanczos.GramOperator(ws.Pooled, 1.0 / ws.Pooled.Rows), ws.Pooled.Cols, 1, r.Split(9), 1e-6);
            tops.Add(top.Values[0]);
            // smallest eigenvalue: top of (c I - S)
            double shift = top.Values[0];
            var c = ws.Pooled;
            var tmp = new double[c.Rows];
            var bottom = Lanczos.TopK((x, y) =>
            {
                for (int i = 0; i < c.Rows; i++) tmp[i] = System.Numerics.Tensors.TensorPrimitives.Dot(c.RowReadOnly(i), x);
                for (int j = 0; j < y.Length; j++) y[j] = shift * x[j];
                for (int i = 0; i < c.Rows; i++) System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(c.RowReadOnly(i), -tmp[i] / c.Rows, y, y);
            }, c.Cols, 1, r.Split(10), 1e-7);
            bottoms.Add(shift - bottom.Values[0]);
        }
        double upper = tops.Average(), lower = bottoms.Average();
        output.WriteLine($"upper {upper} vs {bulk.UpperEdge}; lower {lower} vs {bulk.LowerEdge}");
        Assert.InRange(upper / bulk.UpperEdge, 0.98, 1.02);
        Assert.InRange(lower / bulk.LowerEdge, 0.98, 1.02);
    }

    [Fact]
    public void EmpiricalSpectrumFollowsTheFreeProductLaw()
    {
        // Kolmogorov distance between the empirical spectral CDF and the theoretical CDF (d = 600)
        int t = 8;
        var model = new PooledModel(600, 400, 1200, PoolingWeights.Harmonic(t, 0), Correlations.Exponential(t, 0.5));
        var (ev, _) = PooledSimulator.Spectrum(model, 0, new Rng(5));
        var bulk = new FreeProductMP(model.Delta, model.Gamma, model.Kappa);
        double maxDiff = 0;
        foreach (var q in new[] { 0.2, 0.4, 0.6, 0.8, 1.0, 1.2 })
        {
            double x = bulk.LowerEdge + q / 1.2 * (bulk.UpperEdge - bulk.LowerEdge) * 0.999;
            double cdf = bulk.AtomAtZero + bulk.IntegrateDensity(y => y <= x ? 1 : 0, 20000);
            double emp = ev.Count(e => e <= x) / (double)ev.Length;
            maxDiff = Math.Max(maxDiff, Math.Abs(cdf - emp));
        }
        output.WriteLine($"Kolmogorov distance {maxDiff}");
        Assert.InRange(maxDiff, 0, 0.01);
    }

    public static TheoryData<string, double> Spikes => new()
    {
        { "mean-iid", 1.6 }, { "mean-iid", 3.0 }, { "harmonic-exp", 2.0 }, { "optimal-exp", 4.0 },
    };

    [Theory]
    [MemberData(nameof(Spikes))]
    public void OutlierAndOverlapMatchTheoryWithinThreeStandardErrors(string family, double rhoOverThreshold)
    {
        int t = 12;
        var r = family.EndsWith("exp") ? Correlations.Exponential(t, 0.7) : Correlations.Independent(t);
        var w = family switch
        {
            "mean-iid" => PoolingWeights.Mean(t),
            "harmonic-exp" => PoolingWeights.Harmonic(t, 0.5),
            _ => PoolingWeights.Optimal(r),
        };
        var model = new PooledModel(400, 800, 1000, w, r);
        var th = model.Theory();
        double rho = rhoOverThreshold * th.SampleThreshold;
        var pts = PooledSimulator.Phase(model, [model.SnrForRho(rho)], 24, new Rng(100 + (ulong)(rhoOverThreshold * 10)));
        var p = pts[0];
        output.WriteLine($"{family} rho {rho:F3}: top {p.TopMean:F4}±{p.TopSe:F4} vs {p.Theory.SampleTop:F4}; overlap {p.OverlapMean:F4}±{p.OverlapSe:F4} vs {p.Theory.SampleOverlap:F4}");
        Assert.True(p.Theory.SampleOutlier);
        Assert.InRange(p.TopMean, p.Theory.SampleTop - 3 * p.TopSe, p.Theory.SampleTop + 3 * p.TopSe);
        Assert.InRange(p.OverlapMean, p.Theory.SampleOverlap - 3 * p.OverlapSe, p.Theory.SampleOverlap + 3 * p.OverlapSe);
        // the second eigenvalue sits at the bulk edge (finite-size: within 3%)
        Assert.InRange(p.SecondMean / th.BulkEdge, 0.97, 1.03);
    }

    [Theory]
    [InlineData(0.5, 1.5)]
    [InlineData(0.25, 3.0)]
    public void PopulationOutlierAndOverlapMatchAdditiveSpikeOnWishart(double delta, double rhoOverThreshold)
    {
        // population level: W + ρ u u' with W = Z'Z/V (MP_delta), checked against l = (x+δ)(x+1)/x and η₁ = 1 - δ/x²
        int d = 500, v = (int)(d / delta);
        var th = new SpikeTheory(delta, 0.0);
        double rho = rhoOverThreshold * th.PopulationThreshold;
        var p = th.Predict(rho);
        var rng = new Rng(77);
        var tops = new List<double>();
        var ovs = new List<double>();
        for (int trial = 0; trial < 16; trial++)
        {
            var rr = rng.Split((ulong)trial);
            var z = Samplers.Gaussian(rr, v, d);
            var u = rr.UnitVector(d);
            var tmp = new double[v];
            var res = Lanczos.TopK((x, y) =>
            {
                for (int i = 0; i < v; i++) tmp[i] = System.Numerics.Tensors.TensorPrimitives.Dot(z.RowReadOnly(i), x);
                y.Clear();
                for (int i = 0; i < v; i++) System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(z.RowReadOnly(i), tmp[i] / v, y, y);
                double ux = System.Numerics.Tensors.TensorPrimitives.Dot(u, x);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(u, rho * ux, y, y);
            }, d, 1, rr.Split(1), 1e-7);
            tops.Add(res.Values[0]);
            double o = System.Numerics.Tensors.TensorPrimitives.Dot(res.Vector(0), u);
            ovs.Add(o * o);
        }
        var (tm, ts) = PooledSimulator.MeanSe(tops);
        var (om, os) = PooledSimulator.MeanSe(ovs);
        output.WriteLine($"pop: top {tm:F4}±{ts:F4} vs {p.PopulationTop:F4}; overlap {om:F4}±{os:F4} vs {p.PopulationOverlap:F4}");
        Assert.InRange(tm, p.PopulationTop - 3 * ts, p.PopulationTop + 3 * ts);
        Assert.InRange(om, p.PopulationOverlap - 3 * os, p.PopulationOverlap + 3 * os);
    }

    [Fact]
    public void BelowThresholdTheTopEigenvalueStaysAtTheEdgeAndOverlapIsSmall()
    {
        int t = 8;
        var model = new PooledModel(400, 800, 1000, PoolingWeights.Mean(t), Correlations.Independent(t));
        var th = model.Theory();
        var pts = PooledSimulator.Phase(model, [model.SnrForRho(0.5 * th.SampleThreshold)], 8, new Rng(3));
        output.WriteLine($"below: top {pts[0].TopMean} vs edge {th.BulkEdge}; overlap {pts[0].OverlapMean}");
        Assert.InRange(pts[0].TopMean / th.BulkEdge, 0.97, 1.03);
        Assert.InRange(pts[0].OverlapMean, 0, 0.05);
    }

    [Fact]
    public void PhaseResultsAreDeterministicAndIndependentOfScheduling()
    {
        int t = 4;
        var model = new PooledModel(60, 120, 150, PoolingWeights.Mean(t), Correlations.Independent(t));
        var a = PooledSimulator.Phase(model, [0.0, 5.0, 10.0], 3, new Rng(42));
        var b = PooledSimulator.Phase(model, [0.0, 5.0, 10.0], 3, new Rng(42));
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i].TopMean, b[i].TopMean);
            Assert.Equal(a[i].OverlapMean, b[i].OverlapMean);
        }
        // trial i of a phase run is exactly Trial(rng.Split(i)), computed alone on one thread
        var run = PooledSimulator.Phase(model, [5.0], 2, new Rng(42));
        var t0 = PooledSimulator.Trial(model, 5.0, new Rng(42).Split(0));
        var t1 = PooledSimulator.Trial(model, 5.0, new Rng(42).Split(1));
        Assert.Equal((t0.Top + t1.Top) / 2, run[0].TopMean, 14);
        Assert.Equal((t0.Overlap + t1.Overlap) / 2, run[0].OverlapMean, 14);
    }

    [Theory]
    [InlineData(70, false)]  // two full strips of 32 columns and a partial one
    [InlineData(32, true)]   // exactly one strip, strips in parallel
    [InlineData(5, false)]   // narrower than a strip
    public void PooledRowsAreTheRowWiseFormulaBitForBit(int d, bool parallel)
    {
        // Independent restatement of the model, one row at a time, with the same streams: row n uses
        // rowsRng.Split(n) for T Gaussians g then T tokens; c_n = (w'Bg)|mu| u + sum_t w_t z_{x_nt}. The strip-wise
        // build must give exactly these numbers (same operations per element, in the same order).
        int t = 5, v = 40, n = 30;
        var model = new PooledModel(d, v, n, PoolingWeights.Harmonic(t, 0), Correlations.Exponential(t, 0.4));
        var ws = new PooledSimulator.Workspace(model);
        var rng = new Rng(77);
        double snr = 2.5;
        var u = PooledSimulator.BuildPooled(model, snr, rng, ws, parallel);
        var z = new Matrix(v, d);
        rng.Split(0).FillGaussian(z.Data);
        PooledModel.CentreInPlace(z);
        Assert.Equal(rng.Split(1).UnitVector(d), u);
        var bw = Correlations.Factor(model.R).Transpose().Multiply(model.SignalWeights);
        var w = model.Weights;
        for (int row = 0; row < n; row++)
        {
            var r = rng.Split(2).Split((ulong)row);
            var g = new double[t];
            r.FillGaussian(g);
            double a = System.Numerics.Tensors.TensorPrimitives.Dot<double>(bw, g) * Math.Sqrt(snr);
            var tok = new int[t];
            for (int i = 0; i < t; i++) tok[i] = r.NextInt(v);
            for (int j = 0; j < d; j++)
            {
                double c = u[j] * a;
                for (int i = 0; i < t; i++) c = z[tok[i], j] * w[i] + c;
                Assert.Equal(c, ws.Pooled[row, j]);
            }
        }
    }

    [Fact]
    public void GramAndOperatorPathsGiveTheSameTrial()
    {
        // d <= N/4 takes the Gram path by default; both paths converge to the same top pairs of S = C'C/N (to the
        // Lanczos tolerances: the top value to ~1e-12 relative, the overlap to ~1e-10, the second value to ~1e-8)
        int t = 4;
        var model = new PooledModel(90, 400, 400, PoolingWeights.Mean(t), Correlations.Independent(t));
        double snr = model.SnrForRho(2 * model.Theory().SampleThreshold);
        foreach (var seed in new ulong[] { 1, 2, 3 })
        {
            var auto = PooledSimulator.Trial(model, snr, new Rng(seed));
            var gram = PooledSimulator.Trial(model, snr, new Rng(seed), path: EigenPath.GramLanczos);
            var op = PooledSimulator.Trial(model, snr, new Rng(seed), path: EigenPath.Operator);
            Assert.Equal(gram, auto);
            Assert.Equal(op.Top, gram.Top, 1e-9 * op.Top);
            Assert.Equal(op.Second, gram.Second, 1e-6 * op.Second);
            Assert.Equal(op.Overlap, gram.Overlap, 1e-8);
            Assert.True(op.Overlap > 0.3, $"overlap {op.Overlap}: the spike should be visible at twice the threshold");
        }
    }

    [Fact]
    public void GramOperatorLanczosWithPerPairTolerancesAgreesWithDenseEigensolver()
    {
        // d = 200 is above the dense threshold, so the iteration itself is exercised; the loose tolerance on the
        // lower pairs still gives eigenvalues to ~residual² (here 1e-8 relative)
        var rng = new Rng(8);
        var c = Samplers.Gaussian(rng, 500, 200);
        var s = new Matrix(200, 200);
        Blas.Syrk(c, s, 1.0 / 500, 0, trans: true);
        var dense = SymmetricEigen.Eigenvalues(s);
        var e = Lanczos.TopK(Lanczos.GramOperator(c, 1.0 / 500), 200, 3, [1e-10, 1e-4, 1e-4], rng);
        Assert.Equal(dense[^1], e.Values[0], 10);
        for (int k = 1; k < 3; k++) Assert.Equal(dense[^(k + 1)], e.Values[k], 6);
        var v = e.Vector(0);
        var sv = s.Multiply(v);
        for (int i = 0; i < 200; i++) Assert.Equal(e.Values[0] * v[i], sv[i], 8);
    }

    [Fact]
    public void RepeatedTokensWithACentredTableKeepTheNoiseScaleKappa()
    {
        // T comparable to V: tokens repeat inside a sequence. With the centred table E[tr S / d] = κ(1 - 1/V) exactly
        // (an uncentred table would give κ + ((Σw)² - κ)/V, here ~1.5x larger), and the bulk still follows
        // κ(1 - 1/V)·(MP_δ' ⊠ MP_γ) with δ' = d/(V - 1).
        int t = 64, v = 128, d = 128, n = 512;
        var model = new PooledModel(d, v, n, PoolingWeights.Mean(t), Correlations.Independent(t));
        var means = new List<double>();
        double worstKs = 0;
        var bulk = new FreeProductMP((double)d / (v - 1), model.Gamma, model.Kappa * (1 - 1.0 / v));
        for (int trial = 0; trial < 6; trial++)
        {
            var (ev, _) = PooledSimulator.Spectrum(model, 0, new Rng(900).Split((ulong)trial));
            means.Add(ev.Average());
            foreach (var q in new[] { 0.25, 0.5, 0.75 })
            {
                double x = bulk.LowerEdge + q * (bulk.UpperEdge - bulk.LowerEdge);
                double cdf = bulk.AtomAtZero + bulk.IntegrateDensity(y => y <= x ? 1 : 0, 4000);
                worstKs = Math.Max(worstKs, Math.Abs(cdf - ev.Count(e => e <= x) / (double)ev.Length));
            }
        }
        var (m, se) = PooledSimulator.MeanSe(means);
        double expected = model.Kappa * (1 - 1.0 / v);
        output.WriteLine($"mean eigenvalue {m} ± {se} vs κ(1-1/V) = {expected}; worst CDF gap {worstKs}");
        Assert.InRange(m, expected - 3 * se - 1e-12, expected + 3 * se + 1e-12);
        Assert.InRange(worstKs, 0, 0.04);
    }
}
