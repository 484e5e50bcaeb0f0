using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PooledSpectra;

/// <summary>"Top-r spikes plus isotropic noise" model of an embedding table's covariance: the table's V rows are
/// treated as draws from a population with covariance eigenvalues τ_1..τ_r (spikes) and σ² (the other d − r), so the
/// table covariance W has law MP_δ ⊠ H with H = (1/d) Σ δ_{τ_i} + (1 − r/d) δ_{σ²}, δ = d/V.
/// <para>Fit: σ² is the mean of the d − r smallest eigenvalues of W; each of the r largest, w_i, is de-biased by
/// inverting the spiked Marchenko–Pastur map w = τ(1 + δσ²/(τ − σ²)), i.e.
/// τ = [(w + σ²(1 − δ)) + √((w + σ²(1 − δ))² − 4wσ²)]/2 (τ = w when the root is complex, i.e. w is within
/// the bulk).</para>
/// <para>Automatic rank (<see cref="AutomaticRank"/>): start with r = 0 and repeat r ← #{w_i &gt; σ²(1 + √δ)²}
/// (eigenvalues above the Marchenko–Pastur edge of the isotropic remainder, σ² re-estimated from the rest) until
/// r is stable, at most d/2.</para></summary>
/// <param name="Rank">Number of spikes r.</param>
/// <param name="NoiseLevel">Isotropic level σ².</param>
/// <param name="Spikes">De-biased population spikes τ_1 ≥ … ≥ τ_r.</param>
/// <param name="TableEigenvalues">Eigenvalues of W, descending.</param>
/// <param name="Delta">δ = d/V.</param>
/// <param name="Automatic">Whether the rank was chosen by the automatic rule.</param>
public sealed record TableFit(int Rank, double NoiseLevel, double[] Spikes, double[] TableEigenvalues, double Delta,
    bool Automatic)
{
    /// <summary>Eigenvalues (descending) of the covariance W = Z_c'Z_c/V of a centred V×d table.</summary>
    /// <param name="centredTable">Centred table.</param>
    public static double[] CovarianceEigenvalues(Matrix centredTable)
    {
        ArgumentNullException.ThrowIfNull(centredTable);
        int d = centredTable.Cols;
        var w = new Matrix(d, d);
        Blas.Syrk(centredTable, w, 1.0 / centredTable.Rows, 0, trans: true);
        var ev = SymmetricEigen.Eigenvalues(w);
        Array.Reverse(ev);
        return ev;
    }

    /// <summary>The automatic rank rule (see the type remarks).</summary>
    /// <param name="descending">Eigenvalues of W, descending.</param>
    /// <param name="delta">δ = d/V.</param>
    public static int AutomaticRank(IReadOnlyList<double> descending, double delta)
    {
        ArgumentNullException.ThrowIfNull(descending);
        int d = descending.Count, r = 0;
        for (int it = 0; it < 100; it++)
        {
            double s2 = Noise(descending, r);
            double edge = s2 * Math.Pow(1 + Math.Sqrt(delta), 2);
            int next = Math.Min(d / 2, descending.Count(x => x > edge));
            if (next == r) break;
            r = next;
        }
        return r;
    }

    /// <summary>Fit the model with <paramref name="rank"/> spikes (null: <see cref="AutomaticRank"/>).</summary>
    /// <param name="descending">Eigenvalues of W, descending.</param>
    /// <param name="delta">δ = d/V.</param>
    /// <param name="rank">r in [0, d − 1], or null.</param>
    public static TableFit Fit(IReadOnlyList<double> descending, double delta, int? rank = null)
    {
        ArgumentNullException.ThrowIfNull(descending);
        int d = descending.Count;
        if (d < 2) throw new ArgumentException("Need at least 2 eigenvalues.", nameof(descending));
        if (!(delta > 0) || !double.IsFinite(delta))
            throw new ArgumentException($"delta must be finite and > 0, got {delta}.", nameof(delta));
        if (rank is int rr && (rr < 0 || rr > d - 1))
            throw new ArgumentException($"rank must lie in [0, {d - 1}], got {rr}.", nameof(rank));
        int r = rank ?? AutomaticRank(descending, delta);
        double s2 = Noise(descending, r);
        if (!(s2 > 0))
            throw new ArgumentException("The table's covariance has no positive isotropic level (rank too high).",
                nameof(rank));
        var spikes = new double[r];
        for (int i = 0; i < r; i++)
        {
            double w = descending[i], b = w + s2 * (1 - delta), disc = b * b - 4 * w * s2;
            spikes[i] = disc > 0 ? Math.Max(s2, (b + Math.Sqrt(disc)) / 2) : w;
        }
        return new TableFit(r, s2, spikes, descending.ToArray(), delta, rank == null);
    }

    private static double Noise(IReadOnlyList<double> descending, int r)
    {
        double s = 0;
        for (int i = r; i < descending.Count; i++) s += descending[i];
        return s / (descending.Count - r);
    }

    /// <summary>The population law H (spikes of mass 1/d, σ² of mass 1 − r/d).</summary>
    public (double[] Atoms, double[] Masses) Population()
    {
        int d = TableEigenvalues.Length;
        var atoms = Spikes.Append(NoiseLevel).ToArray();
        var masses = Spikes.Select(_ => 1.0 / d).Append((d - Rank) / (double)d).ToArray();
        return (atoms, masses);
    }

    /// <summary>Fitted law of S: κ·(MP_γ ⊠ MP_δ ⊠ H).</summary>
    /// <param name="gamma">γ = d/N.</param>
    /// <param name="kappa">κ.</param>
    public FreeProductLaw SampleLaw(double gamma, double kappa)
    {
        var (atoms, masses) = Population();
        return new FreeProductLaw(atoms, masses, [Delta, gamma], kappa);
    }

    /// <summary>Bulk edge without the spikes: κσ² times the right edge of MP_δ ⊠ MP_γ.</summary>
    /// <param name="gamma">γ.</param>
    /// <param name="kappa">κ.</param>
    public double BulkEdge(double gamma, double kappa) => kappa * NoiseLevel * new FreeProductMP(Delta,
        gamma).UnitUpperEdge;

    /// <summary>Predicted sample eigenvalue of spike i (κσ² f(y) with y = τ_i/σ² − 1 and f the free-product edge map),
    /// or NaN when y ≤ y* (the spike does not separate from the bulk).</summary>
    /// <param name="i">Spike index.</param>
    /// <param name="gamma">γ.</param>
    /// <param name="kappa">κ.</param>
    public double PredictedOutlier(int i, double gamma, double kappa)
    {
        double y = Spikes[i] / NoiseLevel - 1;
        double ys = FreeProductMP.CriticalRoot(Delta, gamma);
        return y > ys ? kappa * NoiseLevel * FreeProductMP.EdgeMap(y, Delta, gamma) : double.NaN;
    }
}
