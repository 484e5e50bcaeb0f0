using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PooledSpectra;
using Xunit.Abstractions;

namespace AttentionSpectra.Tests.PooledSpectra;

public class KolmogorovTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0.5, 0.4)]
    [InlineData(2.0, 0.5)] // atom at zero (δ > 1)
    public void ExactDistanceEqualsBruteForceSupremumAndIsAtLeastTheBinEdgeValue(double delta, double gamma)
    {
        int d = 200;
        var model = new PooledModel(d, (int)(d / delta), (int)(d / gamma), PoolingWeights.Mean(8),
            Correlations.Independent(8));
        var (ev, _) = PooledSimulator.Spectrum(model, 0, new Rng(17));
        var law = new FreeProductMP(model.Delta, model.Gamma, model.Kappa);
        double exact = SpectralDistance.Kolmogorov(ev, law);
        // brute force: |F_n − F| just left and right of every eigenvalue, F by an independent quadrature (trapezoid
        // on a uniform grid of 40,000 points) of the density
        double hi = ev[^1];
        var sorted = ev.Select(e => Math.Abs(e) <= 1e-9 * hi ? 0 : e).OrderBy(e => e).ToArray();
        const int grid = 40000;
        double a = law.LowerEdge, b = law.UpperEdge, h = (b - a) / grid;
        var cum = new double[grid + 1];
        for (int i = 1; i <= grid; i++) cum[i] = cum[i - 1] + 0.5 * h * (law.Density(a + (i - 1) * h) + law.Density(a
            + i * h));
        double F(double x)
        {
            double atom = x >= 0 ? law.AtomAtZero : 0;
            if (x <= a) return atom;
            if (x >= b) return atom + cum[grid];
            double p = (x - a) / h; int k = (int)p;
            return atom + cum[k] + (cum[Math.Min(k + 1, grid)] - cum[k]) * (p - k);
        }
        double brute = 0;
        int n = sorted.Length;
        for (int i = 0; i < n; i++)
        {
            double e = sorted[i];
            int below = sorted.Count(x => x < e), upto = sorted.Count(x => x <= e);
            double fr = F(e), fl = e > 0 ? fr : F(-1e-300);
            brute = Math.Max(brute, Math.Max(Math.Abs((double)upto / n - fr), Math.Abs((double)below / n - fl)));
        }
        // the former estimate: only at 60 histogram bin edges
        double binEdges = 0;
        for (int k = 1; k < 60; k++)
        {
            double x = hi * 1.05 * k / 60;
            binEdges = Math.Max(binEdges, Math.Abs(F(x) - sorted.Count(e => e <= x) / (double)n));
        }
        output.WriteLine($"exact {exact}, brute force {brute}, bin edges {binEdges}");
        Assert.Equal(brute, exact, 5e-4);
        Assert.True(exact >= binEdges - 5e-4);
    }

    [Fact]
    public void ContinuousCdfReachesTheContinuousMass()
    {
        var law = new FreeProductMP(2.0, 0.3, 0.7);
        var f = law.ContinuousCdf([law.LowerEdge * 0.5, law.UpperEdge, law.UpperEdge * 2]);
        Assert.Equal(0, f[0]);
        Assert.Equal(law.ContinuousMass, f[1], 1e-8);
        Assert.Equal(law.ContinuousMass, f[2], 1e-8);
    }
}
