using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PcaAlignment;

namespace AttentionSpectra.Tests.PcaAlignment;

/// <summary>Closed forms of docs/theory.md (Study A) at parameters where every term matters (lam of order 1, xi != 1,
/// a non-unit spike vector), against exact Gaussian expectations by Gauss–Hermite quadrature computed from the
/// definitions, not from the moment formulas.</summary>
public class ClosedFormMutationTests
{
    private static double Rel(double a, double b) => Math.Abs(a - b) / Math.Max(1e-300, Math.Max(Math.Abs(a), Math.Abs(b)));

    /// <summary>Sigma = C C' for a lower-triangular C (so x = C z with z standard normal).</summary>
    private static Matrix SigmaOf(double[,] c)
    {
        int d = c.GetLength(0);
        var s = new Matrix(d, d);
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                for (int k = 0; k < d; k++) s[i, j] += c[i, k] * c[j, k];
        return s;
    }

    private static readonly double[,] C2 = { { 1.2, 0 }, { 0.4, 0.7 } };
    private static readonly double[,] C3 = { { 1.1, 0, 0 }, { 0.3, 0.8, 0 }, { -0.5, 0.2, 0.6 } };

    [Fact]
    public void QuadratureRuleReproducesGaussianMoments()
    {
        double[] expected = [1, 0, 1, 0, 3, 0, 15, 0]; // E z^k, k = 0..7
        for (int k = 0; k < expected.Length; k++)
            Assert.Equal(expected[k], GaussHermite.Expectation(1, z => Math.Pow(z[0], k)), 12);
        Assert.Equal(3.0, GaussHermite.Expectation(2, z => Math.Pow(z[0] * z[1], 2) * z[1] * z[1]), 12); // E z0^2 E z1^4
    }

    /// <summary>E |x_1 - lam (mu.x_1) sum_k (mu.x_k) x_k|^2 over x_k = C z_k iid (L tokens including the query):
    /// per-coordinate degree 6, so the 4-node rule is exact.</summary>
    private static double LinearRiskByQuadrature(double[,] c, double[] mu, double lam, int l)
    {
        int d = mu.Length;
        var x = new double[l * d];
        var t = new double[d];
        return GaussHermite.Expectation(l * d, z =>
        {
            for (int k = 0; k < l; k++)
                for (int i = 0; i < d; i++)
                {
                    double s = 0;
                    for (int j = 0; j <= i; j++) s += c[i, j] * z[k * d + j];
                    x[k * d + i] = s;
                }
            double q = 0;
            for (int i = 0; i < d; i++) q += mu[i] * x[i];
            Array.Clear(t);
            for (int k = 0; k < l; k++)
            {
                double mk = 0;
                for (int i = 0; i < d; i++) mk += mu[i] * x[k * d + i];
                for (int i = 0; i < d; i++) t[i] += lam * q * mk * x[k * d + i];
            }
            double loss = 0;
            for (int i = 0; i < d; i++) loss += (x[i] - t[i]) * (x[i] - t[i]);
            return loss;
        });
    }

    [Theory]
    [InlineData(2, 1, 0.6)]
    [InlineData(2, 2, 0.6)]
    [InlineData(2, 3, 0.35)]
    [InlineData(3, 2, 0.5)]
    [InlineData(2, 3, 1.7)]
    public void LinearFiniteLRiskIsTheExactGaussianExpectation(int d, int l, double lam)
    {
        var c = d == 2 ? C2 : C3;
        double[] mu = d == 2 ? [0.9, -0.6] : [0.7, -0.4, 0.5];
        double exact = LinearRiskByQuadrature(c, mu, lam, l);
        double cf = ClosedForms.RLinear(SigmaOf(c), mu, lam, l);
        Assert.True(Rel(exact, cf) < 1e-11, $"d={d} L={l} lam={lam}: quadrature {exact} vs R_lin,L {cf}");
    }

    [Fact]
    public void InfinitePromptRiskIsTheExpectedLossOfTheTiltedMap()
    {
        // R_inf = E |x - lam Sigma mu mu' x|^2 = tr(M Sigma M'), M = I - lam Sigma mu mu' (computed by matrix products).
        var sigma = SigmaOf(C3);
        double[] mu = [0.7, -0.4, 0.5];
        foreach (double lam in new[] { 0.3, 1.1 })
        {
            var smu = sigma.Multiply(mu);
            var m = Matrix.Identity(3);
            for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) m[i, j] -= lam * smu[i] * mu[j];
            double expected = (m * sigma * m.Transpose()).Trace();
            Assert.True(Rel(expected, ClosedForms.RInf(sigma, mu, lam)) < 1e-12);
        }
    }

    /// <summary>R_ICL = E_Sigma E_x |x - lam Sigma mu mu' x|^2 with Sigma = sum_{r&lt;=n} y_r y_r',
    /// y_r = xi z_r + sqrt(theta) w_r v/|v|: exact by quadrature over the n (d + 1) standard normals.</summary>
    private static double IclRiskByQuadrature(double[] mu, double[] v, int n, double xi, double theta, double lam)
    {
        int d = mu.Length;
        double vn = Math.Sqrt(v.Sum(t => t * t));
        var s = new Matrix(d, d);
        var y = new double[d];
        return GaussHermite.Expectation(n * (d + 1), z =>
        {
            Array.Clear(s.Data);
            for (int r = 0; r < n; r++)
            {
                double w = z[r * (d + 1) + d];
                for (int i = 0; i < d; i++) y[i] = xi * z[r * (d + 1) + i] + Math.Sqrt(theta) * w * v[i] / vn;
                for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) s[i, j] += y[i] * y[j];
            }
            var smu = s.Multiply(mu);
            var m = Matrix.Identity(d);
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) m[i, j] -= lam * smu[i] * mu[j];
            return (m * s * m.Transpose()).Trace();
        });
    }

    [Theory]
    [InlineData(2, 2, 1.3, 0.7, 0.4)]
    [InlineData(2, 3, 0.6, 2.5, 0.3)]
    [InlineData(3, 2, 1.5, 0.0, 0.2)]
    public void IclRiskIsTheExactWishartExpectation(int d, int n, double xi, double theta, double lam)
    {
        double[] mu = d == 2 ? [0.8, -0.5] : [0.6, -0.3, 0.4];
        double[] v = d == 2 ? [2.0, 1.0] : [1.0, -2.0, 0.5]; // deliberately not unit length
        double exact = IclRiskByQuadrature(mu, v, n, xi, theta, lam);
        double cf = ClosedForms.RIcl(mu, v, n, xi, theta, lam);
        Assert.True(Rel(exact, cf) < 1e-10, $"d={d} n={n} xi={xi} theta={theta}: quadrature {exact} vs R_ICL {cf}");
    }

    [Theory]
    [InlineData(1.3, 0.7, 0.05)]
    [InlineData(0.6, 2.5, 0.02)]
    public void IclGradientMatchesFiniteDifferencesWithNonUnitXiAndSpike(double xi, double theta, double lam)
    {
        int d = 3, n = 4;
        double[] v = [2.0, -1.0, 0.5];
        double[] mu = [0.4, 0.3, -0.6];
        var g = ClosedForms.RIclGradient(mu, v, n, xi, theta, lam);
        var fd = TestUtil.FiniteDifference(p => ClosedForms.RIcl(p, v, n, xi, theta, lam), mu, 1e-5);
        double scale = TestUtil.MaxAbs(fd);
        Assert.True(scale > 1e-2, "the gradient must not vanish at the test point");
        Assert.True(TestUtil.MaxAbsDiff(g, fd) < 1e-7 * scale, $"analytic {string.Join(",", g)} vs FD {string.Join(",", fd)}");

        // The coefficients by themselves: B1 = A2, and the two coefficient groups split the gradient into mu and v parts.
        var (a1, a2, a3, b1, b2, b3) = ClosedForms.IclCoefficients(d, n, xi, theta, lam);
        Assert.Equal(a2, b1);
        double vn = Math.Sqrt(v.Sum(t => t * t));
        double r2 = mu.Sum(t => t * t), al = mu.Zip(v, (p, q) => p * q).Sum() / vn;
        double aa = a1 * r2 + a2 * al * al - a3, bb = b1 * r2 + b2 * al * al - b3;
        for (int i = 0; i < d; i++) Assert.Equal(fd[i], 2 * (aa * mu[i] + bb * al * v[i] / vn), 1e-7 * scale);
    }

    [Theory]
    [InlineData(1.3, 0.7)]
    [InlineData(0.6, 2.5)]
    public void IclCriticalPointsForNonUnitXiAndSpike(double xi, double theta)
    {
        int d = 3, n = 4; double lam = 0.05;
        double[] v = [2.0, -1.0, 0.5];
        double vn = Math.Sqrt(v.Sum(t => t * t));
        // Minimiser +- al* v/|v|: gradient zero, and R_ICL along the spike direction is minimal there.
        double al2 = ClosedForms.IclOptimalAlphaSquared(d, n, xi, theta, lam);
        Func<double, double> along = s => ClosedForms.RIcl(v.Select(t => s * t / vn).ToArray(), v, n, xi, theta, lam);
        double best = GoldenSectionMinimum(along, 0, 10 * Math.Sqrt(al2));
        Assert.True(Math.Abs(best * best - al2) < 1e-5 * al2, $"1-D minimum at al^2 = {best * best}, formula {al2}");
        var star = v.Select(t => Math.Sqrt(al2) * t / vn).ToArray();
        Assert.True(TestUtil.MaxAbs(ClosedForms.RIclGradient(star, v, n, xi, theta, lam)) < 1e-9);
        // Orthogonal critical points: mu perp v with |mu|^2 = a3/a1.
        var (a1, _, a3, _, _, _) = ClosedForms.IclCoefficients(d, n, xi, theta, lam);
        double[] perp = [1.0, 2.0, 0.0]; // perpendicular to v
        double pn = Math.Sqrt(5);
        var orth = perp.Select(t => Math.Sqrt(a3 / a1) * t / pn).ToArray();
        Assert.True(TestUtil.MaxAbs(ClosedForms.RIclGradient(orth, v, n, xi, theta, lam)) < 1e-9);
    }

    private static double GoldenSectionMinimum(Func<double, double> f, double lo, double hi)
    {
        double g = (Math.Sqrt(5) - 1) / 2;
        for (int it = 0; it < 200 && hi - lo > 1e-12 * Math.Max(1, hi); it++)
        {
            double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
            if (f(a) < f(b)) hi = b; else lo = a;
        }
        return 0.5 * (lo + hi);
    }

    [Fact]
    public void InvalidArgumentsAreRejected()
    {
        var sigma = SigmaOf(C2);
        double[] mu = [0.5, 0.5], v = [1, 0];
        Assert.Throws<ArgumentException>(() => ClosedForms.RLinear(sigma, mu, 0.1, 0));
        Assert.Throws<ArgumentException>(() => ClosedForms.RLinear(sigma, mu, 0.0, 2));
        Assert.Throws<ArgumentException>(() => ClosedForms.RLinear(sigma, mu, double.PositiveInfinity, 2));
        Assert.Throws<ArgumentException>(() => ClosedForms.RLinear(sigma, mu, double.NaN, 2));
        Assert.Throws<ArgumentException>(() => ClosedForms.RInf(sigma, [0.5], 0.1));
        Assert.Throws<ArgumentException>(() => ClosedForms.RInf(sigma, [0.5, double.NaN], 0.1));
        Assert.Throws<NumericsException>(() => ClosedForms.RInf(new Matrix(2, 3), mu, 0.1));
        var bad = sigma.Clone(); bad[1, 1] = double.NaN;
        Assert.Throws<NumericsException>(() => ClosedForms.RInf(bad, mu, 0.1));
        Assert.Throws<ArgumentException>(() => ClosedForms.IclCoefficients(0, 3, 1, 1, 0.1));
        Assert.Throws<ArgumentException>(() => ClosedForms.IclCoefficients(2, 0, 1, 1, 0.1));
        Assert.Throws<ArgumentException>(() => ClosedForms.RIcl(mu, [1.0], 3, 1, 1, 0.1));
        Assert.Throws<ArgumentException>(() => ClosedForms.RIcl(mu, v, 0, 1, 1, 0.1));
        Assert.Throws<ArgumentException>(() => ClosedForms.RIcl(mu, v, 3, 0, 1, 0.1));
        Assert.Throws<ArgumentException>(() => ClosedForms.RIcl(mu, v, 3, 1, -0.1, 0.1));
        Assert.Throws<ArgumentException>(() => ClosedForms.RIcl(mu, [0.0, 0.0], 3, 1, 1, 0.1));
        Assert.Throws<ArgumentException>(() => ClosedForms.RIcl([], [], 3, 1, 1, 0.1));
        // boundary values that are valid: L = 1, theta = 0, d = n = 1
        Assert.True(double.IsFinite(ClosedForms.RLinear(sigma, mu, 0.1, 1)));
        Assert.True(double.IsFinite(ClosedForms.RIcl(mu, v, 3, 1, 0, 0.1)));
        Assert.True(ClosedForms.IclCoefficients(1, 1, 1, 1, 0.1).A3 > 0);
    }
}
