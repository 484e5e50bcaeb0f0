using System.Numerics;
using AttentionSpectra.Studies.PooledSpectra;

namespace AttentionSpectra.Tests.PooledSpectra;

/// <summary>The spectral-measure engine of Study B (docs/theory.md) against independent facts: polynomials with
/// known roots (real, complex pair, double, huge), bisection end cases, the Marchenko–Pastur closed forms, the
/// point mass κ·δ_1 when δ = γ = 0, scaling in κ, the conjugate symmetry of G, and the input checks.</summary>
public class FreeProbabilityMutationTests
{
    private static void AssertRoots(double[] expectedRe, double[] expectedIm, Complex[] roots, double tol)
    {
        var got = roots.OrderBy(r => r.Real).ThenBy(r => r.Imaginary).ToArray();
        var exp = expectedRe.Zip(expectedIm, (a, b) => new Complex(a, b))
            .OrderBy(r => r.Real).ThenBy(r => r.Imaginary).ToArray();
        Assert.Equal(exp.Length, got.Length);
        for (int i = 0; i < exp.Length; i++) Assert.True((exp[i] - got[i]).Magnitude < tol, $"{exp[i]} vs {got[i]}");
    }

    [Fact]
    public void SolveFindsKnownRoots()
    {
        // 2 (z - 1)(z + 2)(z - 3) = 2 z^3 - 4 z^2 - 10 z + 12
        AssertRoots([1, -2, 3], [0, 0, 0], PolyRoots.Solve([12, -10, -4, 2]), 1e-12);
        // -(z - 2)(z^2 + 2z + 5) = -z^3 + z - ... : roots 2, -1 ± 2i; leading coefficient negative
        // (z - 2)(z^2 + 2z + 5) = z^3 - z - 10 ... check: z^3 + 2z^2 + 5z - 2z^2 - 4z - 10 = z^3 + z - 10
        AssertRoots([2, -1, -1], [0, 2, -2], PolyRoots.Solve([10, -1, 0, -1]), 1e-12);
        // double root: (z - 1)^2 (z + 4) = z^3 + 2 z^2 - 7 z + 4
        AssertRoots([1, 1, -4], [0, 0, 0], PolyRoots.Solve([4, -7, 2, 1]), 1e-7);
        // root at 0 hit exactly by the first bisection midpoint: z (z - 1)(z + 1) = z^3 - z
        AssertRoots([0, 1, -1], [0, 0, 0], PolyRoots.Solve([0, -1, 0, 1]), 1e-12);
        // tiny leading coefficient: eps z^3 + (z - 1)(z - 2) has roots near 1, 2 and one near -1/eps - 3. Down to
        // eps = 1e-7 forward deflation works; below, b + r cancels and only backward deflation (f = -d/r) keeps the
        // pair (before that fix, eps = 1e-9 returned 1.5 +- 0.025i).
        foreach (double eps in new[] { 1e-7, 1e-9, 1e-12 })
        {
            var r = PolyRoots.Solve([2, -3, 1, eps]);
            foreach (var z in r)
            {
                var p = ((eps * z + 1) * z - 3) * z + 2;
                Assert.True(p.Magnitude < 1e-9 * Math.Max(1, Math.Pow(z.Magnitude, 3) * eps), $"eps {eps}: P({z}) = {p}");
            }
            // first order in eps: roots 1 + eps and 2 - 8 eps (P(1) = eps, P'(1) = -1; P(2) = 8 eps, P'(2) = 1)
            Assert.Contains(r, z => Math.Abs(z.Real - (1 + eps)) < 1e-11 && z.Imaginary == 0);
            Assert.Contains(r, z => Math.Abs(z.Real - (2 - 8 * eps)) < 1e-11 && z.Imaginary == 0);
            Assert.Contains(r, z => Math.Abs(z.Real - (-1 / eps - 3)) < 1e-6 * (1 / eps));
        }
        // trailing zero coefficients lower the degree
        AssertRoots([-2, 3], [0, 0], PolyRoots.Solve([-6, -1, 1, 0]), 1e-13);
        AssertRoots([2.5], [0], PolyRoots.Solve([-5, 2, 0, 0]), 1e-15);
        Assert.Contains("no roots (constant)", Assert.Throws<ArgumentException>(() => PolyRoots.Solve([3, 0, 0])).Message);
        Assert.Throws<ArgumentException>(() => PolyRoots.Solve([3]));
        Assert.Contains("Only degrees up to 3",
            Assert.Throws<ArgumentException>(() => PolyRoots.Solve([1, 0, 0, 0, 1])).Message);
    }

    [Fact]
    public void QuadraticCoversBothSignsOfBAndComplexRoots()
    {
        AssertRoots([1, 4], [0, 0], PolyRoots.Quadratic(2, -10, 8), 1e-14);      // b < 0
        AssertRoots([-1, -4], [0, 0], PolyRoots.Quadratic(2, 10, 8), 1e-14);     // b > 0
        AssertRoots([-3, 3], [0, 0], PolyRoots.Quadratic(1, 0, -9), 1e-14);      // b = 0
        AssertRoots([0, 0], [0, 0], PolyRoots.Quadratic(3, 0, 0), 1e-300);          // q = 0
        AssertRoots([1e8, 1e-8], [0, 0], PolyRoots.Quadratic(1, -(1e8 + 1e-8), 1), 1e-16 * 1e8); // no cancellation
        Assert.InRange(PolyRoots.Quadratic(1, -(1e8 + 1e-8), 1).Min(z => z.Real) / 1e-8, 1 - 1e-14, 1 + 1e-14);
        // b > 0: the small root -1e-8 must not come from -b + sqrt(disc) (cancellation)
        Assert.InRange(PolyRoots.Quadratic(1, 1e8 + 1e-8, 1).Max(z => z.Real) / -1e-8, 1 - 1e-14, 1 + 1e-14);
        AssertRoots([1, 1], [2, -2], PolyRoots.Quadratic(-2, 4, -10), 1e-14);   // a < 0: -2 (z^2 - 2z + 5)
        AssertRoots([-0.5, -0.5], [0, 0], PolyRoots.Quadratic(4, 4, 1), 1e-8);  // disc = 0
    }

    [Fact]
    public void BisectEndCasesAndDecreasingFunctions()
    {
        Assert.Equal(2.0, PolyRoots.Bisect(x => x - 2, 2, 5));
        Assert.Equal(5.0, PolyRoots.Bisect(x => x - 5, 2, 5));
        Assert.Equal(Math.Sqrt(2), PolyRoots.Bisect(x => 2 - x * x, 0, 3), 13);
        Assert.Equal(Math.Sqrt(2), PolyRoots.Bisect(x => x * x - 2, 0, 3), 13);
        Assert.Equal(Math.Sqrt(2), PolyRoots.Bisect(x => x * x - 2, 0, 3, 1e-6), 5);
        Assert.Equal(1.0, PolyRoots.Bisect(x => x - 1, 0, 4)); // midpoints hit the root exactly
        var e = Assert.Throws<ArgumentException>(() => PolyRoots.Bisect(x => x * x + 1, -1, 2));
        Assert.Contains("sign change on [-1, 2] (f = 2, 5)", e.Message);
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(1.0)]
    [InlineData(4.0)]
    public void MarchenkoPasturClosedForms(double c)
    {
        var mp = new MarchenkoPastur(c);
        Assert.Equal(c, mp.Ratio);
        Assert.Equal((1 - Math.Sqrt(c)) * (1 - Math.Sqrt(c)), mp.LowerEdge, 14);
        Assert.Equal((1 + Math.Sqrt(c)) * (1 + Math.Sqrt(c)), mp.UpperEdge, 14);
        Assert.Equal(c > 1 ? 1 - 1 / c : 0, mp.AtomAtZero, 15);
        var z = new Complex(0.3, -0.7);
        Assert.True((mp.STransform(z) - 1 / (1 + c * z)).Magnitude < 1e-15);
        double x = 0.5 * (mp.LowerEdge + mp.UpperEdge);
        Assert.Equal(Math.Sqrt((mp.UpperEdge - x) * (x - mp.LowerEdge)) / (2 * Math.PI * c * x), mp.Density(x), 14);
        Assert.Equal(0.0, mp.Density(mp.UpperEdge));
        Assert.Equal(0.0, mp.Density(mp.LowerEdge));
        Assert.Equal(0.0, mp.Density(mp.UpperEdge + 0.1));
        // Cauchy transform at a point far away: G(z) ~ 1/z + m1/z^2 + m2/z^3 with m1 = 1, m2 = 1 + c
        var far = new Complex(60, 0);
        var g = mp.Cauchy(far);
        var series = 1 / far + 1 / (far * far) + (1 + c) / (far * far * far);
        Assert.True((g - series).Magnitude < 5 * (1 + 3 * c + c * c) / Math.Pow(60, 4), $"{g} vs {series}");
    }

    [Fact]
    public void MarchenkoPasturAtZeroRatioAndInputChecks()
    {
        var mp0 = new MarchenkoPastur(0);
        Assert.Equal(0.0, mp0.Density(1.0));
        Assert.Equal((1.0, 1.0, 0.0), (mp0.LowerEdge, mp0.UpperEdge, mp0.AtomAtZero));
        Assert.Contains("ratio must be finite and >= 0, got -1",
            Assert.Throws<ArgumentException>(() => new MarchenkoPastur(-1)).Message);
        Assert.Throws<ArgumentException>(() => new MarchenkoPastur(double.NaN));
        Assert.Throws<ArgumentException>(() => new MarchenkoPastur(double.PositiveInfinity));
    }

    /// <summary>δ = γ = 0: the law is the point mass at κ: edges (κ, κ), no density, G(λ) = 1/(λ - κ).</summary>
    [Fact]
    public void ZeroRatiosGiveThePointMassAtKappa()
    {
        var mu = new FreeProductMP(0, 0, 2.5);
        Assert.Equal((2.5, 2.5), (mu.LowerEdge, mu.UpperEdge));
        Assert.Equal((0.0, 1.0), (mu.AtomAtZero, mu.ContinuousMass));
        Assert.Equal(0.0, mu.Density(2.5));
        Assert.Equal(0.0, mu.IntegrateDensity(_ => 1));
        Assert.Equal(1 / (4.0 - 2.5), mu.CauchyBoundary(4.0).Real, 14);
        Assert.Equal(0.0, mu.CauchyBoundary(4.0).Imaginary);
        Assert.Equal(1 / (1.0 - 2.5), mu.CauchyBoundary(1.0).Real, 14);
        Assert.Equal([2.5, 6.25, 15.625], mu.Moments(3));
        Assert.Equal(0.0, FreeProductMP.CriticalRoot(0, 0));
    }

    /// <summary>The law of κ X is the law of X stretched by κ: edges and moments scale, the density by 1/κ, G by
    /// G_1(λ/κ)/κ; G(conj z) = conj G(z); m = -G; the atom 1 - min(1, 1/δ, 1/γ).</summary>
    [Theory]
    [InlineData(0.5, 0.25)]
    [InlineData(2.0, 0.5)]
    [InlineData(0.4, 4.0)]
    public void KappaScalingAndSymmetries(double delta, double gamma)
    {
        const double kappa = 1.7;
        var unit = new FreeProductMP(delta, gamma);
        var mu = new FreeProductMP(delta, gamma, kappa);
        Assert.Equal((delta, gamma, kappa), (mu.Delta, mu.Gamma, mu.Kappa));
        Assert.Equal(kappa * unit.UnitUpperEdge, mu.UpperEdge, 12);
        Assert.Equal(kappa * unit.UnitLowerEdge, mu.LowerEdge, 12);
        Assert.Equal(unit.UnitUpperEdge, mu.UnitUpperEdge, 14);
        double x = 0.37 * unit.UnitLowerEdge + 0.63 * unit.UnitUpperEdge;
        Assert.Equal(unit.Density(x) / kappa, mu.Density(kappa * x), 12);
        var bu = unit.CauchyBoundary(x); var bm = mu.CauchyBoundary(kappa * x);
        Assert.True((bu / kappa - bm).Magnitude < 1e-10, $"{bu / kappa} vs {bm}");
        double outside = 1.4 * unit.UnitUpperEdge;
        var gu = unit.CauchyBoundary(outside); var gm = mu.CauchyBoundary(kappa * outside);
        Assert.True((gu / kappa - gm).Magnitude < 1e-9 && Math.Abs(gm.Imaginary) < 1e-12, $"{gu / kappa} vs {gm}");
        var z = new Complex(0.8, 0.6);
        var g = mu.Cauchy(z);
        Assert.True((Complex.Conjugate(g) - mu.Cauchy(Complex.Conjugate(z))).Magnitude < 1e-13);
        Assert.True((mu.Stieltjes(z) + g).Magnitude < 1e-15);
        Assert.True(g.Imaginary < 0);
        var m1 = unit.Moments(3); var mk = mu.Moments(3);
        for (int k = 0; k < 3; k++) Assert.Equal(m1[k] * Math.Pow(kappa, k + 1), mk[k], 10);
        Assert.Equal(1 - Math.Min(1, Math.Min(1 / delta, 1 / gamma)), mu.AtomAtZero, 14);
        Assert.Equal(Math.Min(1, Math.Min(1 / delta, 1 / gamma)), mu.ContinuousMass, 14);
        var s = new Complex(0.2, 0.1);
        Assert.True((mu.STransform(s) - 1 / ((1 + delta * s) * (1 + gamma * s))).Magnitude < 1e-15);
        double y = 1.3;
        Assert.Equal((y + 1) * (y + delta) * (y + gamma) / (y * y), FreeProductMP.EdgeMap(y, delta, gamma), 14);
        double root = FreeProductMP.CriticalRoot(delta, gamma);
        double p = gamma + delta + gamma * delta, q = 2 * gamma * delta;
        Assert.Equal(0.0, (root * root - p) * root - q, 10);
        Assert.True(root > 0);
        Assert.Equal(FreeProductMP.EdgeMap(root, delta, gamma), unit.UnitUpperEdge, 12);
        var cdf = mu.ContinuousCdf([mu.UpperEdge + 1]);
        Assert.Equal(mu.ContinuousMass, cdf[0], 3);
    }

    [Fact]
    public void CriticalRootWithOneZeroRatioIsSqrtP()
    {
        Assert.Equal(Math.Sqrt(2), FreeProductMP.CriticalRoot(0, 2), 15);
        Assert.Equal(Math.Sqrt(0.3), FreeProductMP.CriticalRoot(0.3, 0), 15);
        // equal ratios above 1: the lower edge is 0 (rank deficiency), and with b = c = 1 as well
        Assert.Equal(0.0, new FreeProductMP(1, 1).UnitLowerEdge);
        Assert.Equal(0.0, new FreeProductMP(2, 2).UnitLowerEdge);
    }

    [Fact]
    public void FreeProductInputChecksAndSingularPoints()
    {
        Assert.Contains("delta must be finite and >= 0, got -0.1",
            Assert.Throws<ArgumentException>(() => new FreeProductMP(-0.1, 1)).Message);
        Assert.Contains("gamma must be finite and >= 0, got NaN",
            Assert.Throws<ArgumentException>(() => new FreeProductMP(0.1, double.NaN)).Message);
        Assert.Contains("kappa must be finite and > 0, got 0",
            Assert.Throws<ArgumentException>(() => new FreeProductMP(0.1, 1, 0)).Message);
        Assert.Throws<ArgumentException>(() => new FreeProductMP(double.PositiveInfinity, 1));
        Assert.Throws<ArgumentException>(() => new FreeProductMP(1, double.PositiveInfinity));
        Assert.Throws<ArgumentException>(() => new FreeProductMP(1, 1, double.PositiveInfinity));
        var mu = new FreeProductMP(0.5, 0.5, 2);
        Assert.Contains("singular at 0", Assert.Throws<ArgumentException>(() => mu.CauchyBoundary(0)).Message);
        Assert.Contains("singular at 0", Assert.Throws<ArgumentException>(() => mu.Cauchy(Complex.Zero)).Message);
        double mid = 0.5 * (mu.LowerEdge + mu.UpperEdge);
        Assert.Contains($"z = {mid} lies on the support",
            Assert.Throws<ArgumentException>(() => mu.Cauchy(new Complex(mid, 0))).Message);
        Assert.Equal(0.0, mu.Density(-1));
        Assert.Equal(0.0, mu.Density(0));
        Assert.Contains("order must be >= 1",
            Assert.Throws<ArgumentException>(() => FreeMoments.ProductOfMarchenkoPastur([0.5], 0)).Message);
        // three factors: the first moments of MP_a ⊠ MP_b ⊠ MP_c are 1 and 1 + a + b + c
        var m = FreeMoments.ProductOfMarchenkoPastur([0.5, 0.25, 2], 2);
        Assert.Equal(1.0, m[0], 14);
        Assert.Equal(3.75, m[1], 14);
        Assert.Equal([1.0, 1.0, 1.0], FreeMoments.ProductOfMarchenkoPastur([], 3));
    }

    /// <summary>A real root much smaller than the complex pair: (z − 10⁻⁸)(z² − 2z + 2). Backward deflation divides
    /// a cancelled difference by r (error ~ ulp(2)/r ≈ 4·10⁻⁸), forward deflation is exact here; the solver must pick
    /// the forward pair (the eps cases above need the backward one).</summary>
    [Fact]
    public void SolvePicksForwardDeflationWhenTheRealRootIsSmallest()
    {
        const double r = 1e-8;
        var roots = PolyRoots.Solve([-2 * r, 2 + 2 * r, -(2 + r), 1]);
        AssertRoots([r, 1, 1], [0, 1, -1], roots, 1e-14);
        Assert.Contains(roots, z => Math.Abs(z.Real - r) < 1e-22 && z.Imaginary == 0);
    }

    /// <summary>The stopping rule: a bracket of width ≤ relTol·|mid| ends the bisection (about log2(3000/10⁻³) = 22
    /// halvings for the root 1000 with relTol = 10⁻⁶, not the ~42 a width of 10⁻⁹ would need); relTol = 0 resolves
    /// the root to adjacent doubles; a root at 0 that no midpoint hits is still resolved (|x| below 10⁻³⁰⁰).</summary>
    [Fact]
    public void BisectStopsAtTheRelativeToleranceOrAtAdjacentDoubles()
    {
        int calls = 0;
        double x = PolyRoots.Bisect(t => { calls++; return t * t - 1e6; }, 0, 3000, 1e-6);
        Assert.True(Math.Abs(x - 1000) <= 1e-6 * 1000, $"{x}");
        Assert.InRange(calls, 20, 26);
        double s = PolyRoots.Bisect(t => t * t - 2, 0, 3, 0);
        Assert.True(Math.Abs(s - Math.Sqrt(2)) <= 2 * Math.BitIncrement(Math.Sqrt(2)) - 2 * Math.Sqrt(2), $"{s}");
        double s2 = PolyRoots.Bisect(t => 2 - t * t, -3, 0, 0);
        Assert.True(Math.Abs(s2 + Math.Sqrt(2)) <= 2 * Math.BitIncrement(Math.Sqrt(2)) - 2 * Math.Sqrt(2), $"{s2}");
        Assert.True(Math.Abs(PolyRoots.Bisect(t => t, -1, 3)) < 1e-300);
    }

    /// <summary>With one ratio zero the law is Marchenko–Pastur MP_c (scaled by κ), whose Cauchy transform has the
    /// closed form G(x) = (x + c − 1 ∓ √((x − a)(x − b)))/(2cx): on the support −i√((b − x)(x − a)), above it −√,
    /// below it (including x &lt; 0) +√. Both zero-ratio positions give it.</summary>
    [Theory]
    [InlineData(0.3, 0.0)]
    [InlineData(0.0, 0.6)]
    public void CauchyBoundaryOfMarchenkoPasturMatchesItsClosedForm(double delta, double gamma)
    {
        const double kappa = 1.5;
        double c = delta + gamma;
        var mu = new FreeProductMP(delta, gamma, kappa);
        double a = (1 - Math.Sqrt(c)) * (1 - Math.Sqrt(c)), b = (1 + Math.Sqrt(c)) * (1 + Math.Sqrt(c));
        Assert.Equal(a, mu.UnitLowerEdge, 12);
        Assert.Equal(b, mu.UnitUpperEdge, 12);
        foreach (double x in new[] { -1.0, 0.5 * a, 0.3 * a + 0.7 * b, 0.8 * a + 0.2 * b, 1.3 * b, 5 * b })
        {
            Complex root = x < a ? Math.Sqrt((a - x) * (b - x))
                : x > b ? -Math.Sqrt((x - a) * (x - b)) : new Complex(0, -Math.Sqrt((b - x) * (x - a)));
            var expected = (x + c - 1 + root) / (2 * c * x) / kappa;
            var got = mu.CauchyBoundary(kappa * x);
            Assert.True((got - expected).Magnitude < 1e-10 * (1 + expected.Magnitude), $"x = {x}: {got} vs {expected}");
            if (x > a && x < b) Assert.Equal(-expected.Imaginary / Math.PI, mu.Density(kappa * x), 10);
        }
    }

    /// <summary>Off the support the boundary value is real and equals the integral of the density (plus the atom):
    /// G(x) = atom/x + ∫ ρ(t)/(x − t) dt, by the Chebyshev quadrature of <see cref="FreeProductMP.IntegrateDensity"/>.
    /// At x &lt; 0 the cubic has a complex pair, which must not be taken for the support's root; the integral of
    /// 1, t, t² gives the continuous mass and the moments.</summary>
    [Theory]
    [InlineData(0.5, 0.25)]
    [InlineData(2.0, 0.5)]
    public void BoundaryValueOffTheSupportAndMomentsMatchTheDensityIntegral(double delta, double gamma)
    {
        const double kappa = 1.3;
        var mu = new FreeProductMP(delta, gamma, kappa);
        Assert.Equal(mu.ContinuousMass, mu.IntegrateDensity(_ => 1), 10);
        var m = mu.Moments(2);
        Assert.Equal(m[0], mu.IntegrateDensity(t => t), 9);
        Assert.Equal(m[1], mu.IntegrateDensity(t => t * t), 9);
        foreach (double lambda in new[] { -1.0, -0.2, mu.UpperEdge * 1.5 })
        {
            double expected = mu.AtomAtZero / lambda + mu.IntegrateDensity(t => 1 / (lambda - t));
            var g = mu.CauchyBoundary(lambda);
            Assert.True(Math.Abs(g.Imaginary) < 1e-30, $"{g}");
            Assert.Equal(expected, g.Real, 8);
        }
    }

    /// <summary>The support's edges are not in its interior: G is finite there (square-root edges), so Cauchy accepts
    /// z = edge and agrees with the value just outside; the density vanishes at the edges.</summary>
    [Fact]
    public void CauchyAtTheEdgesIsFiniteAndContinuous()
    {
        var mu = new FreeProductMP(0.5, 0.25);
        Assert.True(mu.LowerEdge > 0);
        foreach (var (edge, side) in new[] { (mu.UpperEdge, 1.0), (mu.LowerEdge, -1.0) })
        {
            var g = mu.Cauchy(new Complex(edge, 0));
            var near = mu.Cauchy(new Complex(edge + side * 1e-12, 0)); // square-root edge: |ΔG| ~ 1e-6
            Assert.True((g - near).Magnitude < 1e-4 * g.Magnitude, $"{edge}: {g} vs {near}");
            Assert.Equal(0.0, mu.Density(edge));
        }
        Assert.Equal([1.0], FreeMoments.ProductOfMarchenkoPastur([0.5], 1));
        Assert.Equal(0.0, new FreeProductMP(1, 0.5).AtomAtZero);
        Assert.Equal(0.5, new FreeProductMP(2, 0).AtomAtZero);
        Assert.Equal(0.75, new FreeProductMP(0, 4).AtomAtZero);
    }

    /// <summary>The edges are the x where the cubic δγψ³ + (δ + γ + δγ)ψ² + (1 + δ + γ − x)ψ + 1 has a double root:
    /// its discriminant changes sign there (complex pair inside the support). Checked with δ = γ &lt; 1, where
    /// g(y) = y³ − py − q vanishes at the bracket end y = −δ, and with distinct ratios on both sides of 1.</summary>
    [Theory]
    [InlineData(0.2, 0.2)]
    [InlineData(0.5, 0.25)]
    [InlineData(0.4, 4.0)]
    public void EdgesAreWhereTheCubicHasADoubleRoot(double delta, double gamma)
    {
        double Disc(double x)
        {
            double a = delta * gamma, b = delta + gamma + delta * gamma, c = 1 + delta + gamma - x, d = 1;
            return 18 * a * b * c * d - 4 * b * b * b * d + b * b * c * c - 4 * a * c * c * c - 27 * a * a * d * d;
        }
        var mu = new FreeProductMP(delta, gamma);
        Assert.True(mu.UnitLowerEdge > 0, $"{mu.UnitLowerEdge}");
        foreach (double edge in new[] { mu.UnitLowerEdge, mu.UnitUpperEdge })
        {
            Assert.True(Disc(edge * (1 - 1e-7)) * Disc(edge * (1 + 1e-7)) < 0, $"edge {edge}");
            Assert.True(mu.Density(edge * (1 + (edge == mu.UnitLowerEdge ? 1e-6 : -1e-6))) > 0);
        }
    }

    /// <summary>The free-product cubic δγψ³ + (δ + γ + δγ)ψ² + (1 + δ + γ − x)ψ + 1 at δγ ~ 10⁻¹⁸, x = 818 has roots
    /// ≈ −1.6·10¹⁰, 1.5·10¹⁰ and 1.2·10⁻³. Bisection finds the negative one; forward deflation then loses the small
    /// root (f = cc + r e cancels at 10²⁰: relative error 2·10⁻³), and the residual of the pair, dominated by the
    /// large root, cannot tell the two deflations apart, so only the Newton polish makes every root accurate: each
    /// root's residual is at rounding level relative to the sum of the terms' magnitudes, and the small root agrees
    /// with a bisection on its own bracket.</summary>
    [Fact]
    public void PolishRecoversTheSmallRootOfAWidelySpreadCubic()
    {
        double delta = 2.7278616957686976e-09, gamma = 1.3048712626366888e-09, x = 818.3105169035334;
        double[] c = [1, 1 + delta + gamma - x, delta + gamma + delta * gamma, delta * gamma];
        var roots = PolyRoots.Solve(c);
        foreach (var z in roots)
        {
            Assert.Equal(0.0, z.Imaginary);
            double t = z.Real, p = ((c[3] * t + c[2]) * t + c[1]) * t + c[0];
            double scale = Math.Abs(c[3] * t * t * t) + Math.Abs(c[2] * t * t) + Math.Abs(c[1] * t) + Math.Abs(c[0]);
            Assert.True(Math.Abs(p) <= 1e-14 * scale, $"root {t}: relative residual {Math.Abs(p) / scale}");
        }
        double small = PolyRoots.Bisect(t => ((c[3] * t + c[2]) * t + c[1]) * t + c[0], 1e-4, 1e-2, 0);
        Assert.Contains(roots, z => Math.Abs(z.Real - small) <= 1e-14 * small);
        Assert.Contains(roots, z => z.Real < -1e10);
        Assert.Contains(roots, z => z.Real > 1e10);
    }
}
