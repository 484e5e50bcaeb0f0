using System.Numerics;

namespace AttentionSpectra.Studies.PooledSpectra;

/// <summary>Small polynomial helpers (real coefficients, degree up to 3) used by the spectral-measure engine.</summary>
public static class PolyRoots
{
    /// <summary>All complex roots of c[0] + c[1] z + ... + c[n] z^n with real coefficients, n &lt;= 3. Leading zero
    /// coefficients lower the degree. A real root of the cubic is found by bisection down to adjacent doubles, then
    /// the polynomial is deflated to a quadratic (forward and backward) solved in the numerically stable form, both
    /// pairs are polished by Newton on the cubic, and the pair with the smaller residual is returned.</summary>
    public static Complex[] Solve(ReadOnlySpan<double> c)
    {
        int n = c.Length - 1;
        while (n > 0 && c[n] == 0) n--;
        if (n <= 0) throw new ArgumentException("Polynomial has no roots (constant).");
        if (n == 1) return [new Complex(-c[0] / c[1], 0)];
        if (n == 2) return Quadratic(c[2], c[1], c[0]);
        if (n > 3) throw new ArgumentException("Only degrees up to 3 are supported.");
        // monic cubic z^3 + b z^2 + cc z + d
        double a3 = c[3], b = c[2] / a3, cc = c[1] / a3, d = c[0] / a3;
        double bound = 1 + Math.Max(Math.Abs(b), Math.Max(Math.Abs(cc), Math.Abs(d)));
        // P(-bound) < 0 < P(bound) (Cauchy's bound); relTol 0: bisect until lo and hi are adjacent doubles
        double r = Bisect(z => ((z + b) * z + cc) * z + d, -bound, bound, 0);
        // deflate: z^3 + b z^2 + cc z + d = (z - r)(z^2 + e z + f). Forward deflation (e = b + r, f = cc + r e) is
        // stable when r is the smallest root; when r is the largest (a tiny leading coefficient: r ~ -1/eps) b + r
        // cancels and f is garbage, while backward deflation from Vieta (f = s1 s2 = -d/r, e = -(s1 + s2) =
        // (f - cc)/r) is stable, and unstable when r is much smaller than the pair. Both pairs are polished (a pair
        // of very different magnitudes can lose its small root in either deflation, and the residual, dominated by
        // the large root, would not tell); the one with the smaller residual wins.
        double e = b + r;
        var forward = Deflated(e, cc + r * e, b, cc, d);
        if (r == 0) return [new Complex(r, 0), forward[0], forward[1]];
        double f2 = -d / r;
        var backward = Deflated((f2 - cc) / r, f2, b, cc, d);
        var best = Residual(backward, b, cc, d) < Residual(forward, b, cc, d) ? backward : forward;
        return [new Complex(r, 0), best[0], best[1]];
    }

    private static Complex[] Deflated(double e, double f, double b, double c, double d)
    {
        var q = Quadratic(1, e, f);
        return [Polish(q[0], b, c, d), Polish(q[1], b, c, d)];
    }

    /// <summary>Newton on the cubic for as long as it strictly lowers |P|. |P| takes finitely many double values, so
    /// this terminates (after at most ~10 steps in practice); a zero derivative gives a non-finite step, whose
    /// residual (NaN or ∞) is not lower and ends the loop.</summary>
    private static Complex Polish(Complex z, double b, double c, double d)
    {
        static Complex P(Complex z, double b, double c, double d) => ((z + b) * z + c) * z + d;
        var pz = P(z, b, c, d);
        while (true)
        {
            var nz = z - pz / ((3 * z + 2 * b) * z + c);
            var pn = P(nz, b, c, d);
            if (!(pn.Magnitude < pz.Magnitude)) return z;
            z = nz; pz = pn;
        }
    }

    private static double Residual(Complex[] z, double b, double c, double d)
    {
        static double P(Complex z, double b, double c, double d) => (((z + b) * z + c) * z + d).Magnitude;
        double r = Math.Max(P(z[0], b, c, d), P(z[1], b, c, d));
        return double.IsNaN(r) ? double.PositiveInfinity : r;
    }

    /// <summary>Roots of a z^2 + b z + c (a != 0), stable form.</summary>
    public static Complex[] Quadratic(double a, double b, double c)
    {
        double disc = b * b - 4 * a * c;
        if (disc >= 0)
        {
            double s = Math.Sqrt(disc);
            double q = -0.5 * (b + (b >= 0 ? s : -s));
            if (q == 0) return [Complex.Zero, Complex.Zero];
            return [new Complex(q / a, 0), new Complex(c / q, 0)];
        }
        double re = -b / (2 * a), im = Math.Sqrt(-disc) / (2 * Math.Abs(a));
        return [new Complex(re, im), new Complex(re, -im)];
    }

    /// <summary>Root of a continuous function on [lo, hi] with f(lo), f(hi) of opposite signs (bisection). Stops when
    /// the bracket is at most <paramref name="relTol"/> |midpoint| wide or no double lies strictly inside it (so it
    /// always terminates; relTol = 0 resolves the root to adjacent doubles).</summary>
    public static double Bisect(Func<double, double> f, double lo, double hi, double relTol = 1e-15)
    {
        double flo = f(lo), fhi = f(hi);
        if (flo == 0) return lo;
        if (fhi == 0) return hi;
        if (Math.Sign(flo) == Math.Sign(fhi))
            throw new ArgumentException($"Bisection needs a sign change on [{lo}, {hi}] (f = {flo}, {fhi}).");
        while (true)
        {
            double mid = 0.5 * (lo + hi);
            if (mid == lo || mid == hi || hi - lo <= relTol * Math.Abs(mid)) return mid;
            double fm = f(mid);
            if (fm == 0) return mid;
            if (Math.Sign(fm) == Math.Sign(flo)) { lo = mid; flo = fm; } else hi = mid;
        }
    }
}

/// <summary>Marchenko–Pastur law MP_c (ratio c = dimension / samples, unit variance, mean 1): density, edges,
/// Cauchy transform and S-transform S(z) = 1/(1 + c z). For c &gt; 1 it has an atom of mass 1 - 1/c at zero.</summary>
public sealed class MarchenkoPastur
{
    /// <summary>Ratio c = dimension / samples.</summary>
    public double Ratio { get; }

    /// <summary>MP_c.</summary>
    /// <param name="ratio">c ≥ 0.</param>
    public MarchenkoPastur(double ratio)
    {
        if (!(ratio >= 0) || !double.IsFinite(ratio)) throw new ArgumentException($"Marchenko–Pastur ratio must be finite and >= 0, got {ratio}.");
        Ratio = ratio;
    }
    /// <summary>(1 − √c)².</summary>
    public double LowerEdge => Math.Pow(1 - Math.Sqrt(Ratio), 2);
    /// <summary>(1 + √c)².</summary>
    public double UpperEdge => Math.Pow(1 + Math.Sqrt(Ratio), 2);
    /// <summary>1 − 1/c for c &gt; 1, else 0.</summary>
    public double AtomAtZero => Ratio > 1 ? 1 - 1 / Ratio : 0;
    /// <summary>S(z) = 1/(1 + cz).</summary>
    /// <param name="z">Argument.</param>
    public Complex STransform(Complex z) => 1 / (1 + Ratio * z);

    /// <summary>Density of the continuous part at x.</summary>
    /// <param name="x">Point.</param>
    public double Density(double x)
    {
        if (Ratio == 0 || x <= LowerEdge || x >= UpperEdge) return 0;
        return Math.Sqrt((UpperEdge - x) * (x - LowerEdge)) / (2 * Math.PI * Ratio * x);
    }

    /// <summary>G(z) = ∫ dμ(t)/(z - t) for z off the support (Im G &lt; 0 when Im z &gt; 0); MP_c = MP_c ⊠ MP_0.</summary>
    public Complex Cauchy(Complex z) => new FreeProductMP(Ratio, 0).Cauchy(z);
}

/// <summary>The free multiplicative convolution kappa · (MP_delta ⊠ MP_gamma): S-transform
/// S(ψ) = 1/((1 + δψ)(1 + γψ)), so ψ = ψ(1/x) solves x ψ = (1 + ψ)(1 + δψ)(1 + γψ) (a cubic), the Cauchy transform is
/// G(x) = (1 + ψ)/x and the density |Im G(x + i0)|/π. All public quantities include the scale kappa
/// (eigenvalues λ = κ x). Atom at zero of mass 1 - min(1, 1/δ, 1/γ) when δ &gt; 1 or γ &gt; 1 (rank deficiency);
/// the density integrates to the remaining mass.</summary>
public sealed class FreeProductMP : ISpectralLaw
{
    /// <summary>δ = d/V.</summary>
    public double Delta { get; }
    /// <summary>γ = d/N.</summary>
    public double Gamma { get; }
    /// <summary>Scale κ.</summary>
    public double Kappa { get; }

    /// <summary>κ · (MP_δ ⊠ MP_γ).</summary>
    /// <param name="delta">δ ≥ 0.</param>
    /// <param name="gamma">γ ≥ 0.</param>
    /// <param name="kappa">κ &gt; 0.</param>
    public FreeProductMP(double delta, double gamma, double kappa = 1.0)
    {
        if (!(delta >= 0) || !double.IsFinite(delta)) throw new ArgumentException($"delta must be finite and >= 0, got {delta}.");
        if (!(gamma >= 0) || !double.IsFinite(gamma)) throw new ArgumentException($"gamma must be finite and >= 0, got {gamma}.");
        if (!(kappa > 0) || !double.IsFinite(kappa)) throw new ArgumentException($"kappa must be finite and > 0, got {kappa}.");
        Delta = delta; Gamma = gamma; Kappa = kappa;
        (UnitLowerEdge, UnitUpperEdge) = ComputeEdges(delta, gamma);
    }

    /// <summary>Edges of MP_δ ⊠ MP_γ with κ = 1.</summary>
    public double UnitLowerEdge { get; }
    /// <summary>Upper edge of MP_δ ⊠ MP_γ with κ = 1.</summary>
    public double UnitUpperEdge { get; }
    /// <summary>κ × the unit lower edge.</summary>
    public double LowerEdge => Kappa * UnitLowerEdge;
    /// <summary>κ × the unit upper edge.</summary>
    public double UpperEdge => Kappa * UnitUpperEdge;
    /// <summary>Mass 1 − min(1, 1/δ, 1/γ) at zero.</summary>
    public double AtomAtZero => 1 - Math.Min(1, Math.Min(1 / Delta, 1 / Gamma)); // 1/0 = ∞: no rank loss
    /// <summary>1 − atom.</summary>
    public double ContinuousMass => 1 - AtomAtZero;

    /// <summary>S-transform of the unit law: 1/((1 + δz)(1 + γz)).</summary>
    public Complex STransform(Complex z) => 1 / ((1 + Delta * z) * (1 + Gamma * z));

    /// <summary>f(y) = (y + 1)(y + δ)(y + γ)/y^2: with ψ = 1/y it is the inverse x(ψ) of ψ(1/x). Its critical points
    /// solve y^3 - (δ + γ + δγ) y - 2δγ = 0 and give the support edges.</summary>
    public static double EdgeMap(double y, double delta, double gamma) => (y + 1) * (y + delta) * (y + gamma) / (y * y);

    /// <summary>Positive root of y^3 - (γ + δ + γδ) y - 2γδ = 0 (the critical point x* of the spiked model).</summary>
    public static double CriticalRoot(double delta, double gamma)
    {
        double p = gamma + delta + gamma * delta, q = 2 * gamma * delta;
        if (p == 0) return 0;
        if (q == 0) return Math.Sqrt(p);
        double hi = 1 + Math.Max(p, q);
        return PolyRoots.Bisect(y => (y * y - p) * y - q, 0, hi);
    }

    private static (double lo, double hi) ComputeEdges(double delta, double gamma)
    {
        if (delta == 0 && gamma == 0) return (1, 1);
        double ys = CriticalRoot(delta, gamma);
        double upper = EdgeMap(ys, delta, gamma);
        var s = new[] { 1.0, delta, gamma };
        Array.Sort(s);
        double b = s[1], c = s[2];
        double lower;
        if (b == c || b == 0) lower = 0;
        else
        {
            double p = gamma + delta + gamma * delta, q = 2 * gamma * delta;
            // f increases then decreases on (-c, -b): f' = g(y)/y^3 with g = y^3 - p y - q, where
            // g(-1) = -(1 - δ)(1 - γ), g(-δ) = δ(1 - δ)(δ - γ), g(-γ) = γ(1 - γ)(γ - δ): g(-c) != 0 (b < c), but
            // g(-b) = 0 when δ = γ = b, so the bracket stops just short of -b
            double y = PolyRoots.Bisect(t => (t * t - p) * t - q, -c, -b - 1e-14 * c);
            lower = Math.Max(0, EdgeMap(y, delta, gamma));
        }
        return (lower, upper);
    }

    /// <summary>Coefficients (constant term first) of (1 + ψ)(1 + δψ)(1 + γψ) - x ψ.</summary>
    private void Cubic(double x, Span<double> c)
    {
        double d = Delta, g = Gamma;
        c[0] = 1;
        c[1] = 1 + d + g - x;
        c[2] = d + g + d * g;
        c[3] = d * g;
    }

    /// <summary>Density of the continuous part of κ (MP_δ ⊠ MP_γ) at λ (0 outside the support).</summary>
    public double Density(double lambda)
    {
        double x = lambda / Kappa;
        if (!(x > 0) || x <= UnitLowerEdge || x >= UnitUpperEdge) return 0;
        Span<double> c = stackalloc double[4];
        Cubic(x, c);
        var roots = PolyRoots.Solve(c);
        double im = 0;
        foreach (var r in roots) im = Math.Max(im, Math.Abs(r.Imaginary));
        return im / (Math.PI * x) / Kappa;
    }

    /// <summary>Boundary value G(λ + i0) of the Cauchy transform on the real axis (Im ≤ 0), valid on and off the
    /// support (λ ≠ 0). Off the support the root continuous with G ~ 1/λ at infinity is chosen.</summary>
    public Complex CauchyBoundary(double lambda)
    {
        double x = lambda / Kappa;
        Span<double> c = stackalloc double[4];
        Cubic(x, c);
        var roots = PolyRoots.Solve(c);
        if (x > UnitLowerEdge && x < UnitUpperEdge)
        {
            var best = roots[0];
            foreach (var r in roots) if (r.Imaginary < best.Imaginary) best = r;
            if (best.Imaginary < 0) return (1 + best) / x / Kappa;
        }
        // off the support (and λ = 0, where Cauchy throws): analytic continuation (Newton path from i·∞)
        return Cauchy(new Complex(lambda, 0));
    }

    /// <summary>Cauchy transform G(z) = ∫ dμ(λ)/(z - λ) of κ (MP_δ ⊠ MP_γ) (atom included) for z off the support.
    /// Computed by following the root ψ of the cubic along a path from z + i·H (large H, where ψ ≈ κ/z) down to z
    /// with Newton steps, which selects the physical branch (Im G &lt; 0 for Im z &gt; 0).</summary>
    public Complex Cauchy(Complex z)
    {
        if (z.Imaginary < 0) return Complex.Conjugate(Cauchy(Complex.Conjugate(z)));
        var w = z / Kappa;
        if (w.Imaginary == 0 && w.Real > UnitLowerEdge && w.Real < UnitUpperEdge)
            throw new ArgumentException($"z = {z.Real} lies on the support [{LowerEdge}, {UpperEdge}]; use CauchyBoundary.");
        if (w == Complex.Zero) throw new ArgumentException("The Cauchy transform is singular at 0.");
        double d = Delta, g = Gamma;
        double scale = Math.Max(UnitUpperEdge, 1.0);
        double height = 50 * scale + w.Imaginary;
        var start = new Complex(w.Real, height);
        // initial guess ψ(1/x) ≈ m1/x = 1/x at the start point (|x| >= 50 max(1, upper edge)); Newton goes on
        var psi = 1 / start;
        int steps = 400;
        for (int s = 1; s <= steps; s++)
        {
            double t = (double)s / steps;
            // geometric approach to the real axis: denser steps near the end
            double h = w.Imaginary + (height - w.Imaginary) * Math.Pow(1 - t, 3);
            var x = new Complex(w.Real, h);
            for (int it = 0; it < 30; it++)
            {
                var f = ((d * g * psi + (d + g + d * g)) * psi + (1 + d + g - x)) * psi + 1;
                var fp = (3 * d * g * psi + 2 * (d + g + d * g)) * psi + (1 + d + g - x);
                if (fp == Complex.Zero) break;
                var step = f / fp;
                psi -= step;
                if (step.Magnitude < 1e-15 * (1 + psi.Magnitude)) break;
            }
        }
        return (1 + psi) / w / Kappa;
    }

    /// <summary>Stieltjes transform m(z) = ∫ dμ(λ)/(λ - z) = -G(z).</summary>
    public Complex Stieltjes(Complex z) => -Cauchy(z);

    /// <summary>Moments E[λ^k], k = 1..order, from the S-transform by series reversion of ψ = z (1 + ψ)(1 + δψ)(1 + γψ).</summary>
    public double[] Moments(int order)
    {
        var m = FreeMoments.ProductOfMarchenkoPastur([Delta, Gamma], order);
        for (int k = 0; k < m.Length; k++) m[k] *= Math.Pow(Kappa, k + 1);
        return m;
    }

    /// <inheritdoc/>
    public double[] ContinuousCdf(ReadOnlySpan<double> sortedPoints) =>
        SpectralDistance.IntegrateCdf(Density, LowerEdge, UpperEdge, sortedPoints);

    /// <summary>Integral of the continuous density over [lo, hi] ∩ support (Chebyshev-type substitution
    /// that absorbs the square-root edges), n nodes.</summary>
    public double IntegrateDensity(Func<double, double> g, int n = 4000)
    {
        double a = LowerEdge, b = UpperEdge;
        if (!(b > a)) return 0;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double th = Math.PI * (i + 0.5) / n;
            double x = a + (b - a) * (1 - Math.Cos(th)) / 2;
            double jac = (b - a) * Math.Sin(th) / 2 * (Math.PI / n);
            sum += g(x) * Density(x) * jac;
        }
        return sum;
    }
}

/// <summary>Moments of free multiplicative convolutions of Marchenko–Pastur laws from S-transforms.</summary>
public static class FreeMoments
{
    /// <summary>Moments m_1..m_order of MP_{c_1} ⊠ ... ⊠ MP_{c_k} (each of mean 1): with ψ(z) = Σ m_j z^j,
    /// χ = ψ^{-1} and S(ψ) = χ(ψ)(1 + ψ)/ψ = Π 1/(1 + c_i ψ), ψ solves ψ = z (1 + ψ) Π (1 + c_i ψ); the fixed
    /// point is iterated on truncated power series (each pass fixes one more coefficient).</summary>
    public static double[] ProductOfMarchenkoPastur(IReadOnlyList<double> ratios, int order)
    {
        if (order < 1) throw new ArgumentException("order must be >= 1.");
        // ψ_j = P_{j-1}, so P is needed only to degree order - 1; after pass k, ψ_1..ψ_{k+1} are exact
        var psi = new double[order + 1]; // coefficients of z^0..z^order
        for (int pass = 0; pass < order; pass++)
        {
            // P = (1 + ψ) Π (1 + c ψ), truncated to z^0..z^(order-1)
            var p = new double[order];
            for (int j = 0; j < order; j++) p[j] = (j == 0 ? 1 : 0) + psi[j];
            foreach (var c in ratios)
            {
                var f = new double[order];
                for (int j = 0; j < order; j++) f[j] = (j == 0 ? 1 : 0) + c * psi[j];
                p = MulTrunc(p, f);
            }
            for (int j = 1; j <= order; j++) psi[j] = p[j - 1];
        }
        return psi[1..];
    }

    /// <summary>a · b truncated to the length of a (= the length of b).</summary>
    private static double[] MulTrunc(double[] a, double[] b)
    {
        var r = new double[a.Length];
        for (int i = 0; i < a.Length; i++)
            for (int j = 0; i + j < a.Length; j++) r[i + j] += a[i] * b[j];
        return r;
    }
}
