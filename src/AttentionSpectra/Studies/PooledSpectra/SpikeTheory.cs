namespace AttentionSpectra.Studies.PooledSpectra;

/// <summary>Theory predictions at one effective SNR ρ = α|μ|²/κ.</summary>
/// <param name="Rho">effective SNR ρ.</param>
/// <param name="X">x = ρ - δ.</param>
/// <param name="PopulationOutlier">whether the population covariance has an outlier (ρ &gt; δ + √δ).</param>
/// <param name="PopulationTop">top population eigenvalue: κ l if an outlier, else the population bulk edge κ(1+√δ)².</param>
/// <param name="PopulationOverlap">η₁ = 1 - δ/x² (0 without an outlier).</param>
/// <param name="SampleOutlier">whether the sample covariance has an outlier (x &gt; x*).</param>
/// <param name="SampleTop">top sample eigenvalue: λ_out if an outlier, else the bulk edge λ₊.</param>
/// <param name="SampleOverlap">η, squared overlap of the top sample eigenvector with μ (0 below threshold).</param>
public sealed record SpikePrediction(double Rho, double X, bool PopulationOutlier, double PopulationTop, double PopulationOverlap,
    bool SampleOutlier, double SampleTop, double SampleOverlap);

/// <summary>Spiked pooled-sequence model (docs/theory.md, Study B): population covariance
/// κ(W + ρ u u') with W ~ MP_δ (the vocabulary Gram), sample covariance of N pooled rows (ratio γ = d/N).
/// <list type="bullet">
/// <item>population: with x = ρ - δ, outlier iff ρ &gt; δ + √δ at l = (x + δ)(x + 1)/x, overlap η₁ = 1 - δ/x²
/// (additive spike on MP_δ: R-transform 1/(1 - δg));</item>
/// <item>sample: λ_out = κ(x + δ)(x + 1)(x + γ)/x² iff x &gt; x*, x* the positive root of x³ - (γ + δ + γδ)x - 2γδ;
/// bulk edge λ₊ = κ f(x*); η = [x³ - (γ + δ + γδ)x - 2γδ]/[x²(x + γ)] (= η₁ · dlogλ/dlog l).</item>
/// <item>δ → 0 (no vocabulary noise, population κ(I + ρ u u')): x = ρ = l (the classical spike strength) and the
/// formulas reduce to the classical spiked-covariance (BBP/Paul) results, see <see cref="ClassicalBbp"/>.</item>
/// </list></summary>
public sealed class SpikeTheory
{
    /// <summary>δ = d/V.</summary>
    public double Delta { get; }
    /// <summary>γ = d/N.</summary>
    public double Gamma { get; }
    /// <summary>κ.</summary>
    public double Kappa { get; }
    /// <summary>x*, positive root of x³ - (γ + δ + γδ)x - 2γδ = 0.</summary>
    public double XStar { get; }
    /// <summary>The bulk law κ·(MP_δ ⊠ MP_γ).</summary>
    public FreeProductMP Bulk { get; }

    /// <summary>Theory at (δ, γ, κ).</summary>
    /// <param name="delta">δ.</param>
    /// <param name="gamma">γ.</param>
    /// <param name="kappa">κ.</param>
    public SpikeTheory(double delta, double gamma, double kappa = 1.0)
    {
        Bulk = new FreeProductMP(delta, gamma, kappa);
        Delta = delta; Gamma = gamma; Kappa = kappa;
        XStar = FreeProductMP.CriticalRoot(delta, gamma);
    }

    /// <summary>Population (BBP) threshold on ρ: δ + √δ.</summary>
    public double PopulationThreshold => Delta + Math.Sqrt(Delta);
    /// <summary>Sample threshold on ρ: δ + x*.</summary>
    public double SampleThreshold => Delta + XStar;
    /// <summary>Right bulk edge λ₊ = κ (x*+δ)(x*+1)(x*+γ)/x*² (equals the free-product edge).</summary>
    public double BulkEdge => Delta == 0 && Gamma == 0 ? Kappa : Kappa * FreeProductMP.EdgeMap(XStar, Delta, Gamma);
    /// <summary>Population bulk edge κ(1 + √δ)².</summary>
    public double PopulationBulkEdge => Kappa * Math.Pow(1 + Math.Sqrt(Delta), 2);

    /// <summary>The cubic x³ - (γ + δ + γδ)x - 2γδ.</summary>
    public double Cubic(double x) => (x * x - (Gamma + Delta + Gamma * Delta)) * x - 2 * Gamma * Delta;

    /// <summary>Prediction at effective SNR ρ.</summary>
    /// <param name="rho">ρ ≥ 0.</param>
    public SpikePrediction Predict(double rho)
    {
        if (!(rho >= 0) || !double.IsFinite(rho)) throw new ArgumentException($"Effective SNR rho must be finite and >= 0, got {rho}.");
        double x = rho - Delta;
        bool pop = rho > PopulationThreshold;
        double popTop = pop ? Kappa * (x + Delta) * (x + 1) / x : PopulationBulkEdge;
        double eta1 = pop ? 1 - Delta / (x * x) : 0;
        bool samp = x > XStar && x > 0;
        double top = samp ? Kappa * (x + Delta) * (x + 1) * (x + Gamma) / (x * x) : BulkEdge;
        double eta = samp ? Cubic(x) / (x * x * (x + Gamma)) : 0;
        return new SpikePrediction(rho, x, pop, popTop, eta1, samp, top, eta);
    }

    /// <summary>Classical spiked covariance (population I + l u u', N samples, ratio γ): threshold l &gt; √γ,
    /// λ = (1 + l)(l + γ)/l, squared overlap (1 - γ/l²)/(1 + γ/l). Below threshold: edge (1+√γ)², overlap 0.</summary>
    public static (double Threshold, double Lambda, double Overlap) ClassicalBbp(double l, double gamma)
    {
        double th = Math.Sqrt(gamma);
        if (l <= th) return (th, Math.Pow(1 + th, 2), 0);
        return (th, (1 + l) * (l + gamma) / l, (1 - gamma / (l * l)) / (1 + gamma / l));
    }
}
