namespace AttentionSpectra.Studies.PooledSpectra;

/// <summary>Signal outlier and overlap for a general (non-isotropic) token table (docs/study-b.md, "Signal on a
/// general table"). In units of κ the population covariance of a pooled row is W + ρ u u', W the table covariance
/// with spectral law ν, u = μ/|μ| in generic position; the sample covariance of N rows has ratio γ = d/N.
/// <list type="bullet">
/// <item>population: l solves G_ν(l) = 1/ρ above the edge of ν (exists iff ρ &gt; 1/G_ν(edge⁺)); η₁ =
/// 1/(ρ² · (−G_ν'(l)));</item>
/// <item>sample: λ(l) = l(1 − γ + γ l G_ν(l)) (= l(1 + γ ψ_ν(1/l)), Baik–Silverstein), an outlier iff λ'(l) &gt; 0;
/// the bulk edge is min_l λ(l); η = η₁ · (l/λ) λ'(l).</item>
/// </list>
/// With ν = MP_δ this is <see cref="SpikeTheory"/> (tested to 1e-10). All eigenvalues are multiplied by κ.</summary>
public sealed class TableSpikeTheory
{
    private readonly Func<double, (double G, double Derivative)> cauchy;

    /// <summary>Theory for a table law given by its Cauchy transform above its upper edge.</summary>
    /// <param name="upperEdge">Upper edge of ν (unit scale).</param>
    /// <param name="cauchyAbove">l ↦ (G_ν(l), G_ν'(l)) for l above the edge.</param>
    /// <param name="gamma">γ = d/N.</param>
    /// <param name="kappa">κ.</param>
    public TableSpikeTheory(double upperEdge, Func<double, (double G, double Derivative)> cauchyAbove, double gamma,
        double kappa = 1.0)
    {
        ArgumentNullException.ThrowIfNull(cauchyAbove);
        if (!(gamma >= 0) || !double.IsFinite(gamma))
            throw new ArgumentException($"gamma must be finite and >= 0, got {gamma}.", nameof(gamma));
        if (!(kappa > 0) || !double.IsFinite(kappa))
            throw new ArgumentException($"kappa must be finite and > 0, got {kappa}.", nameof(kappa));
        TableEdge = upperEdge; cauchy = cauchyAbove; Gamma = gamma; Kappa = kappa;
        LStar = FindLStar();
        BulkEdge = Kappa * SampleMap(LStar);
        // G_ν has a square-root edge, G(e + ε) = G(e) − c√ε + O(ε): extrapolate from ε and 4ε
        double eps = 1e-12 * TableEdge + 1e-300;
        double gEdge = 2 * cauchy(TableEdge + eps).G - cauchy(TableEdge + 4 * eps).G;
        PopulationThreshold = double.IsFinite(gEdge) && gEdge > 0 ? 1 / gEdge : 0;
    }

    /// <summary>Table law MP_δ ⊠ H (or any <see cref="FreeProductLaw"/> at unit scale).</summary>
    /// <param name="table">ν at unit scale.</param>
    /// <param name="gamma">γ.</param>
    /// <param name="kappa">κ.</param>
    public static TableSpikeTheory ForLaw(FreeProductLaw table, double gamma, double kappa = 1.0)
    {
        ArgumentNullException.ThrowIfNull(table);
        return new TableSpikeTheory(table.UpperEdge, table.CauchyAbove, gamma, kappa);
    }

    /// <summary>Table law given exactly by its eigenvalues (equal masses): G_ν(l) = mean 1/(l − t_i).</summary>
    /// <param name="eigenvalues">Eigenvalues of W (unit scale).</param>
    /// <param name="gamma">γ.</param>
    /// <param name="kappa">κ.</param>
    public static TableSpikeTheory ForEigenvalues(IReadOnlyList<double> eigenvalues, double gamma, double kappa = 1.0)
    {
        ArgumentNullException.ThrowIfNull(eigenvalues);
        var t = eigenvalues.ToArray();
        return new TableSpikeTheory(t.Max(), l =>
        {
            double g = 0, dg = 0;
            foreach (var x in t) { double q = 1 / (l - x); g += q; dg -= q * q; }
            return (g / t.Length, dg / t.Length);
        }, gamma, kappa);
    }

    /// <summary>Upper edge of ν.</summary>
    public double TableEdge { get; }
    /// <summary>γ.</summary>
    public double Gamma { get; }
    /// <summary>κ.</summary>
    public double Kappa { get; }
    /// <summary>Critical l* (λ'(l*) = 0); sample outlier iff l &gt; l*.</summary>
    public double LStar { get; }
    /// <summary>Bulk edge λ₊ = κ λ(l*).</summary>
    public double BulkEdge { get; }
    /// <summary>Population threshold on ρ: 1/G_ν(edge⁺) (0 when ν has an atom at its edge).</summary>
    public double PopulationThreshold { get; }
    /// <summary>Sample threshold on ρ: 1/G_ν(l*).</summary>
    public double SampleThreshold => 1 / cauchy(LStar).G;

    /// <summary>λ(l) = l(1 − γ + γ l G_ν(l)) at unit scale.</summary>
    /// <param name="l">Population spike location above the table edge.</param>
    public double SampleMap(double l) => l * (1 - Gamma + Gamma * l * cauchy(l).G);

    private double SampleMapDerivative(double l)
    {
        var (g, dg) = cauchy(l);
        return 1 - Gamma + 2 * Gamma * l * g + Gamma * l * l * dg;
    }

    private double FindLStar()
    {
        if (Gamma == 0) return TableEdge;
        double lo = TableEdge * (1 + 1e-12) + 1e-300, hi = Math.Max(2 * TableEdge, 1e-300);
        if (SampleMapDerivative(lo) >= 0) return lo;
        while (SampleMapDerivative(hi) < 0) hi *= 2;
        return PolyRoots.Bisect(SampleMapDerivative, lo, hi, 1e-14);
    }

    /// <summary>Population spike location l (unit scale) for effective SNR ρ, or NaN below the population
    /// threshold.</summary>
    /// <param name="rho">ρ.</param>
    public double PopulationSpike(double rho)
    {
        if (!(rho > PopulationThreshold)) return double.NaN;
        // G decreases from G(edge⁺) to 0; 1/l ≤ G(l) ≤ 1/(l − edge) brackets l in [max(ρ, edge), ρ + edge]
        double lo = Math.Max(rho, TableEdge * (1 + 1e-12) + 1e-300), hi = rho + TableEdge;
        if (hi <= lo) return lo;
        return PolyRoots.Bisect(l => cauchy(l).G - 1 / rho, lo, hi, 1e-15);
    }

    /// <summary>Prediction at effective SNR ρ (same fields as <see cref="SpikeTheory.Predict"/>; X = l −
    /// edge).</summary>
    /// <param name="rho">ρ ≥ 0.</param>
    public SpikePrediction Predict(double rho)
    {
        if (!(rho >= 0) || !double.IsFinite(rho))
            throw new ArgumentException($"Effective SNR rho must be finite and >= 0, got {rho}.", nameof(rho));
        double l = PopulationSpike(rho);
        bool pop = !double.IsNaN(l);
        double eta1 = 0;
        if (pop) eta1 = 1 / (rho * rho * -cauchy(l).Derivative);
        bool samp = pop && l > LStar;
        double top = samp ? Kappa * SampleMap(l) : BulkEdge;
        double eta = samp ? eta1 * l / SampleMap(l) * SampleMapDerivative(l) : 0;
        return new SpikePrediction(rho, pop ? l - TableEdge : double.NaN, pop, pop ? Kappa * l : Kappa * TableEdge,
            eta1, samp, top, eta);
    }
}
