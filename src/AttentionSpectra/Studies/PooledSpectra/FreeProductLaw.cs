using System.Numerics;

namespace AttentionSpectra.Studies.PooledSpectra;

/// <summary>The law κ · (MP_{c_1} ⊠ … ⊠ MP_{c_m} ⊠ H) for a discrete population law H = Σ p_i δ_{τ_i} (docs/study-b.md,
/// "General table covariance"). With ψ_H(v) = Σ p_i τ_i v/(1 − τ_i v) and P(ψ) = Π_j (1 + c_j ψ), the
/// S-transform identity χ(ψ) = χ_H(ψ)/P(ψ) gives one scalar equation for ψ = ψ(1/x) at x = λ/κ:
/// ψ = ψ_H(P(ψ)/x) (Silverstein's equation with a discrete population, written for a product of MP factors); then
/// G(λ) = (1 + ψ)/λ and the density is −Im G(λ + i0)/π. Isotropic H = δ₁ with ratios (δ, γ) is
/// <see cref="FreeProductMP"/> (its cubic). Real points v give the inverse map x(v) = P(ψ_H(v))/v; the edges are
/// its critical values: the upper edge is min x(v) over v ∈ (0, 1/τ_max), the lower edge the largest positive value
/// of x(v) over v &lt; 0 or v &gt; 1/τ_min (0 when there is none).
/// <para>The density, CDF and <see cref="Density"/> are evaluated on a precomputed grid of
/// <see cref="GridSize"/> points (θ-spaced, denser at the edges) and interpolated; <see cref="DensityAt"/> and
/// <see cref="Cauchy"/> solve the equation at a single point.</para></summary>
public sealed class FreeProductLaw : ISpectralLaw
{
    private readonly double[] tau;
    private readonly double[] mass;
    private readonly double[] ratios;
    private readonly double zeroMass;
    private double[]? gridX, gridDensity, gridCdf;

    /// <summary>Points of the density grid.</summary>
    public const int GridSize = 3000;

    /// <summary>Law with population atoms <paramref name="atoms"/> (masses <paramref name="masses"/>, default equal),
    /// MP ratios <paramref name="mpRatios"/> (at least one positive) and scale <paramref name="kappa"/>.</summary>
    /// <param name="atoms">Atoms τ_i ≥ 0 of H.</param>
    /// <param name="masses">Masses p_i (≥ 0, normalised to sum 1), or null for equal masses.</param>
    /// <param name="mpRatios">Ratios c_j ≥ 0 of the MP factors.</param>
    /// <param name="kappa">Scale κ &gt; 0.</param>
    public FreeProductLaw(IReadOnlyList<double> atoms, IReadOnlyList<double>? masses, IReadOnlyList<double> mpRatios,
        double kappa = 1.0)
    {
        ArgumentNullException.ThrowIfNull(atoms);
        ArgumentNullException.ThrowIfNull(mpRatios);
        if (atoms.Count == 0) throw new ArgumentException("The population law has no atoms.", nameof(atoms));
        if (atoms.Any(t => !(t >= 0) || !double.IsFinite(t)))
            throw new ArgumentException("Population atoms must be finite and >= 0.", nameof(atoms));
        if (masses != null
            && (masses.Count != atoms.Count || masses.Any(p => !(p >= 0) || !double.IsFinite(p))
                || !(masses.Sum() > 0)))
            throw new ArgumentException("Masses must be finite, >= 0, not all zero, one per atom.", nameof(masses));
        if (mpRatios.Any(c => !(c >= 0) || !double.IsFinite(c)))
            throw new ArgumentException("MP ratios must be finite and >= 0.", nameof(mpRatios));
        if (!mpRatios.Any(c => c > 0))
            throw new ArgumentException("At least one MP ratio must be positive.", nameof(mpRatios));
        if (!(kappa > 0) || !double.IsFinite(kappa))
            throw new ArgumentException($"kappa must be finite and > 0, got {kappa}.", nameof(kappa));
        double total = masses?.Sum() ?? atoms.Count;
        var t = new List<double>(); var p = new List<double>();
        double z = 0;
        for (int i = 0; i < atoms.Count; i++)
        {
            double pi = (masses?[i] ?? 1.0) / total;
            if (pi == 0) continue;
            if (atoms[i] == 0) z += pi; else { t.Add(atoms[i]); p.Add(pi); }
        }
        if (t.Count == 0) throw new ArgumentException("The population law has no positive atom.", nameof(atoms));
        tau = t.ToArray(); mass = p.ToArray(); ratios = mpRatios.Where(c => c > 0).ToArray(); zeroMass = z;
        Kappa = kappa;
        TauMax = tau.Max(); TauMin = tau.Min();
        UnitUpperEdge = ComputeUpperEdge();
        UnitLowerEdge = ComputeLowerEdge();
    }

    /// <summary>Scale κ.</summary>
    public double Kappa { get; }

    /// <summary>Largest population atom.</summary>
    public double TauMax { get; }

    /// <summary>Smallest positive population atom.</summary>
    public double TauMin { get; }

    /// <summary>MP ratios (positive ones).</summary>
    public IReadOnlyList<double> Ratios => ratios;

    /// <summary>Upper edge for κ = 1.</summary>
    public double UnitUpperEdge { get; }

    /// <summary>Lower edge for κ = 1.</summary>
    public double UnitLowerEdge { get; }

    /// <inheritdoc/>
    public double UpperEdge => Kappa * UnitUpperEdge;

    /// <inheritdoc/>
    public double LowerEdge => Kappa * UnitLowerEdge;

    /// <summary>1 − min(1 − H({0}), min_j 1/c_j): the rank deficiency of each factor.</summary>
    public double AtomAtZero => 1 - Math.Min(1 - zeroMass,
        ratios.Select(c => c > 1 ? 1 / c : 1).DefaultIfEmpty(1).Min());

    /// <summary>The same law with one more MP factor of ratio <paramref name="c"/> (e.g. sampling N rows: c =
    /// d/N).</summary>
    /// <param name="c">The extra ratio.</param>
    public FreeProductLaw WithRatio(double c) => new(tau.Append(0).ToArray(), mass.Append(zeroMass).ToArray(),
        ratios.Append(c).ToArray(), Kappa);

    /// <summary>The same law at scale <paramref name="kappa"/>.</summary>
    /// <param name="kappa">New scale.</param>
    public FreeProductLaw WithScale(double kappa) => new(tau.Append(0).ToArray(), mass.Append(zeroMass).ToArray(),
        ratios, kappa);

    // ψ_H(v), ψ_H'(v)
    private Complex PsiH(Complex v, out Complex derivative)
    {
        Complex s = 0, ds = 0;
        for (int i = 0; i < tau.Length; i++)
        {
            var q = 1 / (1 - tau[i] * v);
            s += mass[i] * tau[i] * v * q;
            ds += mass[i] * tau[i] * q * q;
        }
        derivative = ds;
        return s;
    }

    private double PsiH(double v)
    {
        double s = 0;
        for (int i = 0; i < tau.Length; i++) s += mass[i] * tau[i] * v / (1 - tau[i] * v);
        return s;
    }

    private Complex P(Complex psi, out Complex derivative)
    {
        Complex prod = 1, d = 0;
        foreach (var c in ratios)
        {
            var f = 1 + c * psi;
            d = d * f + c * prod;
            prod *= f;
        }
        derivative = d;
        return prod;
    }

    private double P(double psi)
    {
        double prod = 1;
        foreach (var c in ratios) prod *= 1 + c * psi;
        return prod;
    }

    /// <summary>Inverse map x(v) = P(ψ_H(v))/v on real v (unit scale).</summary>
    private double XOfV(double v) => P(PsiH(v)) / v;

    /// <summary>Newton on F(ψ) = ψ − ψ_H(P(ψ)/w) from <paramref name="psi"/>; false when it does not settle.</summary>
    private bool Newton(Complex w, ref Complex psi, int maxIterations = 40)
    {
        var u = 1 / w;
        for (int it = 0; it < maxIterations; it++)
        {
            var pp = P(psi, out var dp);
            var v = u * pp;
            var ph = PsiH(v, out var dph);
            var f = psi - ph;
            var fp = 1 - dph * u * dp;
            if (fp == Complex.Zero || !double.IsFinite(fp.Real) || !double.IsFinite(fp.Imaginary)) return false;
            var step = f / fp;
            // damp huge steps (far from the root the map is strongly nonlinear near the poles 1/τ_i)
            double lim = 0.5 * (1 + psi.Magnitude);
            if (step.Magnitude > lim) step *= lim / step.Magnitude;
            psi -= step;
            if (step.Magnitude < 1e-14 * (1 + psi.Magnitude)) return true;
        }
        return false;
    }

    /// <summary>ψ at unit-scale point w (Im w ≥ 0) by Newton continuation from w + iH, H large.</summary>
    private Complex SolveByContinuation(Complex w)
    {
        double scale = Math.Max(UnitUpperEdge, 1.0);
        double height = 50 * scale + w.Imaginary;
        var start = new Complex(w.Real, height);
        // moment expansion ψ(1/x) ≈ m1/x, m1 = E_H[τ]
        double m1 = 0;
        for (int i = 0; i < tau.Length; i++) m1 += mass[i] * tau[i];
        Complex psi = m1 / start;
        const int steps = 400;
        for (int s = 1; s <= steps; s++)
        {
            double t = (double)s / steps;
            double h = w.Imaginary + (height - w.Imaginary) * Math.Pow(1 - t, 3);
            Newton(new Complex(w.Real, h), ref psi);
        }
        return psi;
    }

    /// <summary>Cauchy transform G(z) = ∫ dμ(λ)/(z − λ) (atom included) for Im z ≥ 0, z ≠ 0; on the real axis
    /// inside the support it is the boundary value G(λ + i0).</summary>
    /// <param name="z">Point.</param>
    public Complex Cauchy(Complex z)
    {
        if (z.Imaginary < 0) return Complex.Conjugate(Cauchy(Complex.Conjugate(z)));
        if (z == Complex.Zero) throw new ArgumentException("The Cauchy transform is singular at 0.", nameof(z));
        var w = z / Kappa;
        var psi = SolveByContinuation(w);
        return (1 + psi) / w / Kappa;
    }

    /// <summary>Stieltjes transform m(z) = ∫ dμ(λ)/(λ − z) = −G(z).</summary>
    /// <param name="z">Point.</param>
    public Complex Stieltjes(Complex z) => -Cauchy(z);

    /// <summary>Density at λ solved at that point (continuation), without the grid.</summary>
    /// <param name="lambda">Eigenvalue.</param>
    public double DensityAt(double lambda)
    {
        double x = lambda / Kappa;
        if (!(x > 0) || x <= UnitLowerEdge || x >= UnitUpperEdge) return 0;
        var psi = SolveByContinuation(new Complex(x, 0));
        return Math.Max(0, -psi.Imaginary) / (Math.PI * x) / Kappa;
    }

    /// <summary>G(l) and G'(l) for real l above the upper edge (unit scale is not applied: l in eigenvalue
    /// units).</summary>
    /// <param name="l">Point above <see cref="UpperEdge"/>.</param>
    public (double G, double Derivative) CauchyAbove(double l)
    {
        if (!(l > UpperEdge))
            throw new ArgumentException($"l = {l} must lie above the upper edge {UpperEdge}.", nameof(l));
        double x = l / Kappa;
        var psiC = SolveByContinuation(new Complex(x, 0));
        double psi = psiC.Real;
        double u = 1 / x;
        double pp = P(new Complex(psi, 0), out var dpC).Real, dp = dpC.Real;
        PsiH(new Complex(u * pp, 0), out var dph);
        double dPsiDu = dph.Real * pp / (1 - dph.Real * u * dp);
        double dPsiDx = -dPsiDu / (x * x);
        double g = (1 + psi) / x;
        double dg = dPsiDx / x - (1 + psi) / (x * x);
        return (g / Kappa, dg / (Kappa * Kappa));
    }

    private double ComputeUpperEdge()
    {
        // x(v) → ∞ at both ends of (0, 1/τ_max); its minimum there is the right end of the support
        double hi = 1 / TauMax;
        return MinimiseOnInterval(s => XOfV(hi * s), 0, 1);
    }

    private double ComputeLowerEdge()
    {
        // with t = 1/v the real points below the support run through t = 0 (v = ±∞, ψ → −H((0, ∞)), x = t P(ψ) → 0):
        // the lower edge is the first local maximum of x met when walking from t = 0 in the direction where x > 0,
        // t ∈ (0, τ_min) when P(ψ(∞)) > 0 (every ratio below 1), t &lt; 0 when it is negative; a zero P(ψ(∞))
        // (a ratio equal to 1) is a hard edge at 0
        double s0 = P(-(1 - zeroMass));
        if (Math.Abs(s0) < 1e-13) return 0;
        Func<double, double> t = s0 > 0 ? u => TauMin * u : u => -TauMin * u / (1 - u);
        double X(double u) { double tt = t(u); return tt * P(PsiH(1 / tt)); }
        // geometric grid u_i = 10^(−12 + 12 i/n) (small lower edges sit close to t = 0)
        const int n = 6000;
        double U(int i) => Math.Pow(10, -12 + 12.0 * i / n);
        double prev = 0; int top = -1;
        for (int i = 0; i < n; i++)
        {
            double y = X(U(i));
            if (!(y > 0) || !double.IsFinite(y)) return 0;
            if (y < prev) { top = i - 1; break; }
            prev = y;
        }
        if (top < 1) return 0;
        return -GoldenMinimum(u => -X(u), U(top - 1), U(top + 1));
    }

    /// <summary>Minimum of f on (lo, hi): grid search then golden-section refinement around the best grid
    /// point.</summary>
    private static double MinimiseOnInterval(Func<double, double> f, double lo, double hi)
    {
        const int n = 4000;
        int best = -1; double fb = double.PositiveInfinity;
        for (int i = 1; i < n; i++)
        {
            double s = lo + (hi - lo) * i / n;
            double y = f(s);
            if (y < fb) { fb = y; best = i; }
        }
        if (best < 0) return double.PositiveInfinity;
        return Math.Min(fb, GoldenMinimum(f, lo + (hi - lo) * (best - 1) / n, lo + (hi - lo) * (best + 1) / n));
    }

    private static double GoldenMinimum(Func<double, double> f, double a, double b)
    {
        double gr = (Math.Sqrt(5) - 1) / 2;
        double c = b - gr * (b - a), d = a + gr * (b - a);
        double fc = f(c), fd = f(d);
        for (int it = 0; it < 200 && b - a > 1e-15 * Math.Max(1e-300, Math.Abs(c)); it++)
        {
            if (fc < fd) { b = d; d = c; fd = fc; c = b - gr * (b - a); fc = f(c); }
            else { a = c; c = d; fc = fd; d = a + gr * (b - a); fd = f(d); }
        }
        return Math.Min(fc, fd);
    }

    private void EnsureGrid()
    {
        if (gridX != null) return;
        double a = UnitLowerEdge, b = UnitUpperEdge;
        int n = GridSize;
        var xs = new double[n + 1];
        var dens = new double[n + 1];
        for (int i = 0; i <= n; i++) xs[i] = a + (b - a) * (1 - Math.Cos(Math.PI * i / n)) / 2;
        // sweep from the right edge to the left with warm-started Newton just above the axis; fall back to the
        // continuation from far above when Newton does not settle or lands on the unphysical branch
        double eta = 1e-10 * b;
        Complex psi = SolveByContinuation(new Complex(xs[n - 1], eta));
        for (int i = n - 1; i >= 1; i--)
        {
            var w = new Complex(xs[i], eta);
            var trial = psi;
            if (!Newton(w, ref trial) || !Physical(trial, xs[i])) trial = SolveByContinuation(w);
            psi = trial;
            dens[i] = Math.Max(0, -psi.Imaginary) / (Math.PI * xs[i]);
        }
        // cumulative mass by the trapezoid rule on the grid
        var cdf = new double[n + 1];
        for (int i = 1; i <= n; i++) cdf[i] = cdf[i - 1] + 0.5 * (dens[i] + dens[i - 1]) * (xs[i] - xs[i - 1]);
        gridX = xs; gridDensity = dens; gridCdf = cdf;
    }

    /// <summary>Whether ψ at real x is on the physical branch: Im ψ ≤ 0 (Im G ≤ 0), and when ψ is (numerically) real,
    /// x is on a decreasing stretch of the inverse map x(v) (the real solutions there describe points outside the
    /// support; solutions on increasing stretches belong to other branches).</summary>
    private bool Physical(Complex psi, double x)
    {
        if (psi.Imaginary > 1e-9 * (1 + psi.Magnitude)) return false;
        if (psi.Imaginary < -1e-7 * (1 + psi.Magnitude)) return true;
        double v = P(psi.Real) / x;
        double h = 1e-6 * Math.Abs(v);
        return XOfV(v + h) - XOfV(v - h) < 0;
    }

    private static double Interpolate(double[] xs, double[] ys, double x)
    {
        if (x <= xs[0]) return ys[0];
        if (x >= xs[^1]) return ys[^1];
        int i = Array.BinarySearch(xs, x);
        if (i >= 0) return ys[i];
        i = ~i;
        double t = (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
        return ys[i - 1] + t * (ys[i] - ys[i - 1]);
    }

    /// <summary>Density of the continuous part at λ (grid interpolation).</summary>
    /// <param name="lambda">Eigenvalue.</param>
    public double Density(double lambda)
    {
        double x = lambda / Kappa;
        if (!(x > UnitLowerEdge) || !(x < UnitUpperEdge)) return 0;
        EnsureGrid();
        return Interpolate(gridX!, gridDensity!, x) / Kappa;
    }

    /// <summary>Mass of the continuous part computed on the grid (1 − atom up to discretisation).</summary>
    public double GridMass
    {
        get { EnsureGrid(); return gridCdf![^1]; }
    }

    /// <inheritdoc/>
    public double[] ContinuousCdf(ReadOnlySpan<double> sortedPoints)
    {
        EnsureGrid();
        var r = new double[sortedPoints.Length];
        for (int i = 0; i < r.Length; i++)
        {
            double x = sortedPoints[i] / Kappa;
            r[i] = x <= UnitLowerEdge ? 0 : Interpolate(gridX!, gridCdf!, x);
        }
        return r;
    }
}
