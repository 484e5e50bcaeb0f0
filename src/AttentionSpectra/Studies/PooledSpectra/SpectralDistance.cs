namespace AttentionSpectra.Studies.PooledSpectra;

/// <summary>A limiting spectral law on [0, ∞): an atom at zero plus a continuous part with a density.</summary>
public interface ISpectralLaw
{
    /// <summary>Mass of the atom at zero.</summary>
    double AtomAtZero { get; }

    /// <summary>Smallest point of the continuous support.</summary>
    double LowerEdge { get; }

    /// <summary>Largest point of the continuous support.</summary>
    double UpperEdge { get; }

    /// <summary>Density of the continuous part at λ.</summary>
    /// <param name="lambda">Eigenvalue.</param>
    double Density(double lambda);

    /// <summary>Mass of the continuous part in (−∞, x] at each of the ascending points x.</summary>
    /// <param name="sortedPoints">Points in ascending order.</param>
    double[] ContinuousCdf(ReadOnlySpan<double> sortedPoints);
}

/// <summary>Distances between an empirical spectrum and a limiting law.</summary>
public static class SpectralDistance
{
    /// <summary>Eigenvalues with |λ| at most this fraction of the largest |λ| are numerical zeros (rank deficiency):
    /// they are counted in the atom at zero.</summary>
    public const double ZeroFraction = 1e-9;

    /// <summary>Exact Kolmogorov distance sup_x |F_n(x) − F(x)| between the empirical CDF of
    /// <paramref name="eigenvalues"/> and the law's CDF F (atom at zero plus continuous part). The supremum of
    /// |F_n − F| with F continuous except at 0 is attained at a sample point, from the left or the right, so it is
    /// the maximum over the distinct sorted values e of |F_n(e⁻) − F(e⁻)| and |F_n(e) − F(e)|.</summary>
    /// <param name="eigenvalues">Sample eigenvalues (any order).</param>
    /// <param name="law">Limiting law.</param>
    public static double Kolmogorov(IReadOnlyList<double> eigenvalues, ISpectralLaw law)
    {
        ArgumentNullException.ThrowIfNull(eigenvalues);
        ArgumentNullException.ThrowIfNull(law);
        int n = eigenvalues.Count;
        if (n == 0) throw new ArgumentException("No eigenvalues.", nameof(eigenvalues));
        var e = eigenvalues.ToArray();
        double scale = e.Max(Math.Abs);
        for (int i = 0; i < n; i++) if (Math.Abs(e[i]) <= ZeroFraction * scale) e[i] = 0;
        Array.Sort(e);
        var fc = law.ContinuousCdf(e);
        double worst = 0;
        // a run of tied values e[i0..i1] is one jump of F_n: compare its left limit i0/n with F(e⁻) and its right
        // limit (i1 + 1)/n with F(e) (F jumps only at 0, by the atom)
        for (int i0 = 0; i0 < n;)
        {
            int i1 = i0;
            while (i1 + 1 < n && e[i1 + 1] == e[i0]) i1++;
            double right = fc[i1] + (e[i0] >= 0 ? law.AtomAtZero : 0);
            double left = fc[i0] + (e[i0] > 0 ? law.AtomAtZero : 0);
            worst = Math.Max(worst, Math.Max(Math.Abs((i1 + 1.0) / n - right), Math.Abs((double)i0 / n - left)));
            i0 = i1 + 1;
        }
        return worst;
    }

    /// <summary>Continuous CDF at ascending points by Gauss–Legendre quadrature of the density after the
    /// substitution x = a + (b − a)(1 − cos θ)/2 on the support [a, b], which absorbs square-root edges. Each
    /// interval between consecutive points is split into pieces of at most π/<paramref name="pieces"/> in θ.</summary>
    /// <param name="density">Density of the continuous part.</param>
    /// <param name="a">Lower edge.</param>
    /// <param name="b">Upper edge.</param>
    /// <param name="sortedPoints">Ascending points.</param>
    /// <param name="pieces">Number of pieces of [0, π].</param>
    public static double[] IntegrateCdf(Func<double, double> density, double a, double b,
        ReadOnlySpan<double> sortedPoints,
        int pieces = 512)
    {
        var result = new double[sortedPoints.Length];
        if (!(b > a)) return result;
        double Theta(double x) => x <= a ? 0 : x >= b ? Math.PI : Math.Acos(1 - 2 * (x - a) / (b - a));
        double F(double th) => density(a + (b - a) * (1 - Math.Cos(th)) / 2) * (b - a) * Math.Sin(th) / 2;
        double maxStep = Math.PI / pieces;
        double acc = 0, prev = 0;
        for (int i = 0; i < sortedPoints.Length; i++)
        {
            double th = Theta(sortedPoints[i]);
            if (th > prev)
            {
                int m = (int)Math.Ceiling((th - prev) / maxStep);
                double h = (th - prev) / m;
                for (int s = 0; s < m; s++)
                {
                    double lo = prev + s * h, mid = lo + h / 2;
                    for (int g = 0; g < GaussNodes.Length; g++) acc += GaussWeights[g] * h / 2 * F(mid
                        + GaussNodes[g] * h / 2);
                }
                prev = th;
            }
            result[i] = acc;
        }
        return result;
    }

    private static readonly double[] GaussNodes =
        [-0.9324695142031521, -0.6612093864662645, -0.2386191860831969, 0.2386191860831969, 0.6612093864662645,
            0.9324695142031521];

    private static readonly double[] GaussWeights =
        [0.1713244923791704, 0.3607615730481386, 0.4679139345726910, 0.4679139345726910, 0.3607615730481386,
            0.1713244923791704];
}
