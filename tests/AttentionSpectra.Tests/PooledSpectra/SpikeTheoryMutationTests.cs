using AttentionSpectra.Studies.PooledSpectra;

namespace AttentionSpectra.Tests.PooledSpectra;

/// <summary>SpikeTheory against independent computations: the additive-spike outlier equation G_W(l) = 1/rho and the
/// overlap -1/(rho^2 G_W'(l)) (Benaych-Georges–Nadakuditi) with G_W the Cauchy transform of MP_delta computed by
/// quadrature of the density; the sample outlier by the Baik–Silverstein map psi(l) = l (1 + gamma int t/(l - t));
/// the classical spiked model in the population-eigenvalue form of Baik–Ben Arous–Péché and Paul.</summary>
public class SpikeTheoryMutationTests
{
    /// <summary>int f(t) dMP_delta(t) (unit mean): atom 1 - 1/delta at 0 when delta &gt; 1, plus the continuous part
    /// sqrt((b-t)(t-a))/(2 pi delta t) on [a, b] = [(1 -+ sqrt delta)^2], integrated with t = c + h cos(phi), which
    /// makes the integrand smooth (also at z = b for the Cauchy transform) so the midpoint rule converges fast.</summary>
    private static double MpIntegral(double delta, Func<double, double> f, int m = 4000)
    {
        double a = Math.Pow(1 - Math.Sqrt(delta), 2), b = Math.Pow(1 + Math.Sqrt(delta), 2);
        double c = 0.5 * (a + b), h = 0.5 * (b - a);
        double s = 0;
        for (int k = 0; k < m; k++)
        {
            double phi = Math.PI * (k + 0.5) / m, t = c + h * Math.Cos(phi), sn = Math.Sin(phi);
            s += f(t) * h * h * sn * sn / (2 * Math.PI * delta * t);
        }
        s *= Math.PI / m;
        if (delta > 1) s += (1 - 1 / delta) * f(0);
        return s;
    }

    private static double G(double delta, double z) => MpIntegral(delta, t => 1 / (z - t));
    private static double Edge(double delta) => Math.Pow(1 + Math.Sqrt(delta), 2);

    /// <summary>Root of a decreasing function f on (lo, hi) by bisection.</summary>
    private static double Bisect(Func<double, double> f, double lo, double hi)
    {
        for (int i = 0; i < 100; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (f(mid) > 0) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(2.0)]
    public void QuadratureOfTheMpDensityHasUnitMassAndMean(double delta)
    {
        Assert.Equal(1.0, MpIntegral(delta, _ => 1), 10);
        Assert.Equal(1.0, MpIntegral(delta, t => t), 10);
        Assert.Equal(1 + delta, MpIntegral(delta, t => t * t), 10); // second moment of MP_delta
    }

    [Theory]
    [InlineData(0.3, 1.0)]
    [InlineData(2.0, 0.7)]
    public void PopulationThresholdIsOneOverTheCauchyTransformAtTheEdge(double delta, double kappa)
    {
        var th = new SpikeTheory(delta, 0.4, kappa);
        double rhoC = 1 / G(delta, Edge(delta));
        Assert.True(Math.Abs(th.PopulationThreshold - rhoC) < 1e-7 * rhoC, $"threshold {th.PopulationThreshold} vs 1/G(b) {rhoC}");
        Assert.Equal(kappa * Edge(delta), th.PopulationBulkEdge, 12);
        var below = th.Predict(rhoC * (1 - 1e-4));
        Assert.False(below.PopulationOutlier);
        Assert.Equal(kappa * Edge(delta), below.PopulationTop, 12);
        Assert.Equal(0.0, below.PopulationOverlap);
        Assert.True(th.Predict(rhoC * (1 + 1e-4)).PopulationOutlier);
    }

    [Theory]
    [InlineData(0.3, 1.0, 1.2)]
    [InlineData(0.3, 1.0, 4.0)]
    [InlineData(2.0, 0.7, 4.5)]
    [InlineData(2.0, 0.7, 9.0)]
    public void PopulationOutlierAndOverlapSolveTheAdditiveSpikeEquations(double delta, double kappa, double rho)
    {
        var p = new SpikeTheory(delta, 0.4, kappa).Predict(rho);
        Assert.True(p.PopulationOutlier);
        double b = Edge(delta);
        double l = Bisect(z => G(delta, z) - 1 / rho, b + 1e-9, b + 10 * rho + 10);
        Assert.True(Math.Abs(p.PopulationTop - kappa * l) < 1e-8 * kappa * l, $"top {p.PopulationTop} vs kappa l {kappa * l}");
        double gPrime = MpIntegral(delta, t => 1 / ((l - t) * (l - t)));
        double eta1 = 1 / (rho * rho * gPrime);
        Assert.True(Math.Abs(p.PopulationOverlap - eta1) < 1e-7, $"overlap {p.PopulationOverlap} vs {eta1}");
        Assert.Equal(rho - delta, p.X, 12);
    }

    /// <summary>Baik–Silverstein: a population eigenvalue l outside the population bulk gives the sample outlier
    /// psi(l) = l (1 + gamma int t/(l - t) dH(t)) when psi'(l) &gt; 0; the sample bulk edge is the minimum of psi.</summary>
    [Theory]
    [InlineData(0.3, 0.5, 1.0)]
    [InlineData(2.0, 0.25, 0.7)]
    public void SampleOutlierAndEdgeFollowTheBaikSilversteinMap(double delta, double gamma, double kappa)
    {
        var th = new SpikeTheory(delta, gamma, kappa);
        double b = Edge(delta);
        double Psi(double l) => l * (1 + gamma * MpIntegral(delta, t => t / (l - t)));
        double LOf(double rho) => Bisect(z => G(delta, z) - 1 / rho, b + 1e-9, b + 10 * rho + 10);
        // psi is convex above the edge: its minimum (ternary search) is the sample bulk edge
        double lo = b + 1e-6, hi = b + 50;
        for (int i = 0; i < 200; i++)
        {
            double m1 = lo + (hi - lo) / 3, m2 = hi - (hi - lo) / 3;
            if (Psi(m1) < Psi(m2)) hi = m2; else lo = m1;
        }
        double lStar = 0.5 * (lo + hi);
        Assert.True(Math.Abs(th.BulkEdge - kappa * Psi(lStar)) < 1e-7 * th.BulkEdge, $"edge {th.BulkEdge} vs {kappa * Psi(lStar)}");
        // the sample threshold maps to l*: l(SampleThreshold) = l*
        Assert.True(Math.Abs(LOf(th.SampleThreshold) - lStar) < 1e-4 * lStar, $"l(threshold) {LOf(th.SampleThreshold)} vs l* {lStar}");
        foreach (double rho in new[] { th.SampleThreshold * 1.3, th.SampleThreshold * 3 })
        {
            var p = th.Predict(rho);
            Assert.True(p.SampleOutlier);
            double expected = kappa * Psi(LOf(rho));
            Assert.True(Math.Abs(p.SampleTop - expected) < 1e-8 * expected, $"rho {rho}: top {p.SampleTop} vs psi(l) {expected}");
        }
        var below = th.Predict(th.SampleThreshold * 0.9);
        Assert.False(below.SampleOutlier);
        Assert.Equal(th.BulkEdge, below.SampleTop);
        Assert.Equal(0.0, below.SampleOverlap);
    }

    [Theory]
    [InlineData(0.3, 0.5, 2.0)]
    [InlineData(0.0, 0.5, 1.0)]
    [InlineData(0.0, 0.0, 1.5)]
    public void RhoZeroHasNoOutlierAnywhere(double delta, double gamma, double kappa)
    {
        var th = new SpikeTheory(delta, gamma, kappa);
        var p = th.Predict(0);
        Assert.Equal(-delta, p.X);
        Assert.False(p.PopulationOutlier);
        Assert.False(p.SampleOutlier);
        Assert.Equal(kappa * Edge(delta), p.PopulationTop, 12);
        Assert.Equal(th.BulkEdge, p.SampleTop);
        Assert.Equal(0.0, p.PopulationOverlap);
        Assert.Equal(0.0, p.SampleOverlap);
    }

    [Theory]
    [InlineData(-1e-9)]
    [InlineData(-2.0)]
    [InlineData(double.NaN)]
    [InlineData(double.NegativeInfinity)]
    public void NegativeOrNonFiniteRhoIsRejected(double rho)
    {
        var ex = Assert.Throws<ArgumentException>(() => new SpikeTheory(0.3, 0.5).Predict(rho));
        Assert.Contains("rho", ex.Message);
    }

    [Theory]
    [InlineData(1.0, 0.5)]
    [InlineData(2.5, 3.0)]
    public void NoNoiseAtAllIsThePopulationSpikeItself(double kappa, double rho)
    {
        // delta = gamma = 0: population kappa (I + rho u u') seen exactly; bulk is the point kappa, outlier kappa (1 + rho)
        var th = new SpikeTheory(0, 0, kappa);
        Assert.Equal(kappa, th.BulkEdge, 14);
        Assert.Equal(kappa, th.PopulationBulkEdge, 14);
        Assert.Equal(0.0, th.XStar, 14);
        var p = th.Predict(rho);
        Assert.True(p.PopulationOutlier && p.SampleOutlier);
        Assert.Equal(kappa * (1 + rho), p.PopulationTop, 12);
        Assert.Equal(kappa * (1 + rho), p.SampleTop, 12);
        Assert.Equal(1.0, p.PopulationOverlap, 14);
        Assert.Equal(1.0, p.SampleOverlap, 14);
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(0.5)]
    [InlineData(2.0)]
    [InlineData(0.0)]
    public void ClassicalBbpMatchesTheTextbookFormulas(double gamma)
    {
        // Population eigenvalue ell = 1 + l. BBP: sample top -> ell (1 + gamma/(ell - 1)) iff ell > 1 + sqrt(gamma),
        // else the MP edge (1 + sqrt gamma)^2. Paul (2007): squared overlap (1 - gamma/(ell-1)^2) / (1 + gamma/(ell-1)).
        foreach (double l in new[] { 0.0, 0.1, 0.4, 0.9, 1.5, 3.0, 10.0 }) // l = 0: no spike at all
        {
            double ell = 1 + l;
            bool above = ell > 1 + Math.Sqrt(gamma);
            double lambda = above ? ell * (1 + gamma / (ell - 1)) : Math.Pow(1 + Math.Sqrt(gamma), 2);
            double overlap = above ? (1 - gamma / ((ell - 1) * (ell - 1))) / (1 + gamma / (ell - 1)) : 0;
            var (thr, lam, ov) = SpikeTheory.ClassicalBbp(l, gamma);
            Assert.Equal(Math.Sqrt(gamma), thr, 14);
            Assert.Equal(lambda, lam, 12);
            Assert.Equal(overlap, ov, 12);
        }
    }

    [Fact]
    public void CubicIsTheStatedPolynomial()
    {
        var th = new SpikeTheory(0.3, 0.5);
        foreach (double x in new[] { -1.0, 0.0, 0.7, 2.0 })
            Assert.Equal(x * x * x - (0.5 + 0.3 + 0.15) * x - 2 * 0.15, th.Cubic(x), 12);
        Assert.Equal(0.0, th.Cubic(th.XStar), 12);
        Assert.Equal(0.3 + th.XStar, th.SampleThreshold, 14);
    }
}
