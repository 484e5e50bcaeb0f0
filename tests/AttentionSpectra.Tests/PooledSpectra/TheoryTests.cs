using System.Numerics;
using AttentionSpectra.Studies.PooledSpectra;

namespace AttentionSpectra.Tests.PooledSpectra;

public class TheoryTests
{
    public static TheoryData<double, double> Params => new()
    {
        { 0.5, 0.5 }, { 0.2, 0.7 }, { 0.05, 0.3 }, { 1.0, 0.25 }, { 2.0, 0.5 }, { 0.4, 3.0 },
    };

    [Theory]
    [MemberData(nameof(Params))]
    public void DensityIntegratesToContinuousMass(double delta, double gamma)
    {
        var mu = new FreeProductMP(delta, gamma, kappa: 0.37);
        double mass = mu.IntegrateDensity(_ => 1.0, 6000);
        double expected = Math.Min(1, Math.Min(1 / delta, 1 / gamma));
        Assert.InRange(mass, expected - 1e-3, expected + 1e-3);
        Assert.Equal(1 - expected, mu.AtomAtZero, 12);
    }

    [Theory]
    [MemberData(nameof(Params))]
    public void MomentsOfDensityMatchSTransformSeries(double delta, double gamma)
    {
        const double kappa = 1.3;
        var mu = new FreeProductMP(delta, gamma, kappa);
        var series = mu.Moments(4);
        // closed forms for the first two moments of MP_delta ⊠ MP_gamma
        Assert.Equal(kappa, series[0], 12);
        Assert.Equal(kappa * kappa * (1 + delta + gamma), series[1], 10);
        for (int k = 1; k <= 4; k++)
        {
            double viaDensity = mu.IntegrateDensity(x => Math.Pow(x, k), 6000); // the atom at 0 contributes nothing
            Assert.InRange(viaDensity / series[k - 1], 1 - 1e-3, 1 + 1e-3);
        }
    }

    [Fact]
    public void SeriesMomentsOfSingleMarchenkoPasturAreNarayanaPolynomials()
    {
        double c = 0.6;
        var m = FreeMoments.ProductOfMarchenkoPastur([c], 4);
        Assert.Equal(1, m[0], 12);
        Assert.Equal(1 + c, m[1], 12);
        Assert.Equal(1 + 3 * c + c * c, m[2], 12);
        Assert.Equal(1 + 6 * c + 6 * c * c + c * c * c, m[3], 12);
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(2.5)]
    public void DeltaZeroReducesToMarchenkoPastur(double gamma)
    {
        var prod = new FreeProductMP(0, gamma);
        var mp = new MarchenkoPastur(gamma);
        Assert.Equal(mp.UpperEdge, prod.UnitUpperEdge, 9);
        Assert.Equal(mp.LowerEdge, prod.UnitLowerEdge, 9);
        for (double x = mp.LowerEdge + 0.01; x < mp.UpperEdge; x += 0.05)
            Assert.Equal(mp.Density(x), prod.Density(x), 9);
        // and a tiny delta is a small perturbation
        var near = new FreeProductMP(1e-7, gamma);
        Assert.Equal(mp.UpperEdge, near.UnitUpperEdge, 5);
        // tiny leading cubic coefficient δγ: the deflated roots must stay accurate (density continuous in δ)
        for (double x = mp.LowerEdge + 0.05; x < mp.UpperEdge - 0.05; x += 0.05)
            Assert.InRange(near.Density(x) / mp.Density(x), 1 - 1e-4, 1 + 1e-4);
    }

    [Theory]
    [MemberData(nameof(Params))]
    public void EdgesAreWhereTheCubicDiscriminantVanishes(double delta, double gamma)
    {
        var mu = new FreeProductMP(delta, gamma);
        // the density is positive just inside and zero just outside each edge
        double w = mu.UnitUpperEdge - mu.UnitLowerEdge;
        Assert.True(mu.Density(mu.UnitUpperEdge - 1e-4 * w) > 0);
        Assert.Equal(0, mu.Density(mu.UnitUpperEdge + 1e-6 * w));
        double[] edges = mu.UnitLowerEdge > 0 ? [mu.UnitLowerEdge, mu.UnitUpperEdge] : [mu.UnitUpperEdge];
        foreach (var x in edges)
        {
            // discriminant of a ψ^3 + b ψ^2 + c ψ + d with x at an edge (double root): relative to its scale
            double a = delta * gamma, b = delta + gamma + delta * gamma, c = 1 + delta + gamma - x, d = 1;
            if (a == 0) { Assert.Equal(0, (c * c - 4 * b * d) / (c * c + 4 * b * d), 8); continue; }
            double disc = 18 * a * b * c * d - 4 * b * b * b * d + b * b * c * c - 4 * a * c * c * c - 27 * a * a * d * d;
            double scale = Math.Abs(18 * a * b * c * d) + Math.Abs(4 * b * b * b * d) + b * b * c * c + Math.Abs(4 * a * c * c * c) + 27 * a * a * d * d;
            Assert.InRange(disc / scale, -1e-8, 1e-8);
        }
        if (mu.UnitLowerEdge > 0) Assert.True(mu.Density(mu.UnitLowerEdge + 1e-4 * w) > 0);
    }

    [Theory]
    [InlineData(0.5, 0.5)]
    [InlineData(2.0, 0.5)]
    public void CauchyTransformMatchesQuadratureOfTheDensity(double delta, double gamma)
    {
        var mu = new FreeProductMP(delta, gamma, kappa: 0.8);
        Complex[] zs = [new(1.0, 0.3), new(0.2, 0.05), new(mu.UpperEdge * 1.3, 0), new(-0.5, 0.2), new(mu.UpperEdge * 0.5, -0.4)];
        foreach (var z in zs)
        {
            var g = mu.Cauchy(z);
            // independent: Σ over density nodes + atom / z
            var q = Complex.Zero;
            int n = 20000;
            double a = mu.LowerEdge, b = mu.UpperEdge;
            for (int i = 0; i < n; i++)
            {
                double th = Math.PI * (i + 0.5) / n;
                double x = a + (b - a) * (1 - Math.Cos(th)) / 2;
                double jac = (b - a) * Math.Sin(th) / 2 * (Math.PI / n);
                q += mu.Density(x) * jac / (z - x);
            }
            q += mu.AtomAtZero / z;
            Assert.True((g - q).Magnitude < 2e-3 * Math.Max(1, q.Magnitude), $"z = {z}: G = {g}, quadrature = {q}");
            if (z.Imaginary > 0) Assert.True(g.Imaginary < 0);
        }
        // boundary value on the support: -Im G / π is the density
        double xm = 0.5 * (mu.LowerEdge + mu.UpperEdge);
        Assert.Equal(mu.Density(xm), -mu.CauchyBoundary(xm).Imaginary / Math.PI, 10);
    }

    [Theory]
    [InlineData(0.5, 0.5)]
    [InlineData(0.1, 1.5)]
    [InlineData(2.0, 0.25)]
    public void SampleThresholdIsTheCubicRootAndTheEdgeMinimum(double delta, double gamma)
    {
        var th = new SpikeTheory(delta, gamma, kappa: 2.0);
        // independent root finding (MathNet companion-matrix roots)
        var roots = MathNet.Numerics.FindRoots.Polynomial([-2 * gamma * delta, -(gamma + delta + gamma * delta), 0, 1]);
        double xs = roots.Where(r => Math.Abs(r.Imaginary) < 1e-9 && r.Real > 0).Select(r => r.Real).Single();
        Assert.Equal(xs, th.XStar, 9);
        Assert.Equal(delta + xs, th.SampleThreshold, 9);
        Assert.True(th.SampleThreshold > th.PopulationThreshold);
        // the bulk edge is the minimum over x > 0 of κ(x+δ)(x+1)(x+γ)/x² (brute-force scan) and the free-product edge
        double min = double.MaxValue;
        for (double x = 1e-3; x < 50; x += 1e-4) min = Math.Min(min, 2.0 * FreeProductMP.EdgeMap(x, delta, gamma));
        Assert.InRange(th.BulkEdge / min, 1 - 1e-7, 1 + 1e-7);
        Assert.Equal(th.Bulk.UpperEdge, th.BulkEdge, 9);
        // the outlier meets the edge and the overlap vanishes exactly at the threshold (continuity)
        var at = th.Predict(th.SampleThreshold + 1e-9);
        Assert.InRange(at.SampleTop / th.BulkEdge, 1 - 1e-6, 1 + 1e-6);
        Assert.InRange(at.SampleOverlap, 0, 1e-6);
        Assert.False(th.Predict(th.SampleThreshold - 1e-6).SampleOutlier);
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(1.0)]
    [InlineData(2.5)]
    public void DeltaToZeroGivesClassicalSpikedCovariance(double gamma)
    {
        foreach (var delta in new[] { 0.0, 1e-8 })
        {
            var th = new SpikeTheory(delta, gamma);
            Assert.InRange(th.SampleThreshold - Math.Sqrt(gamma), -1e-4, 1e-4);
            foreach (var l in new[] { 0.5, 1.2, 2.0, 5.0, 20.0 })
            {
                var p = th.Predict(l);
                var (thr, lam, ov) = SpikeTheory.ClassicalBbp(l, gamma);
                Assert.Equal(l > thr, p.SampleOutlier);
                Assert.Equal(lam, p.SampleTop, 4);
                Assert.Equal(ov, p.SampleOverlap, 4);
            }
        }
    }

    [Fact]
    public void InvalidParametersThrow()
    {
        Assert.Throws<ArgumentException>(() => new FreeProductMP(-0.1, 0.5));
        Assert.Throws<ArgumentException>(() => new FreeProductMP(0.1, double.NaN));
        Assert.Throws<ArgumentException>(() => new FreeProductMP(0.1, 0.5, 0));
        Assert.Throws<ArgumentException>(() => new SpikeTheory(0.5, 0.5).Predict(double.PositiveInfinity));
        Assert.Throws<ArgumentException>(() => new FreeProductMP(0.5, 0.5).Cauchy(new Complex(1.0, 0)));
    }
}
