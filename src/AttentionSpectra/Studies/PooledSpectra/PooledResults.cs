namespace AttentionSpectra.Studies.PooledSpectra;

/// <summary>Parameters of a built model, as reported with every result.</summary>
/// <param name="D">Dimension d.</param>
/// <param name="V">Vocabulary size V.</param>
/// <param name="N">Number of sequences N.</param>
/// <param name="T">Sequence length T.</param>
/// <param name="Weights">Weight label.</param>
/// <param name="Corr">Correlation label.</param>
/// <param name="Profile">Signal-profile label.</param>
/// <param name="Alpha">α = w' diag(a) R diag(a) w.</param>
/// <param name="Kappa">κ = |w|².</param>
/// <param name="Delta">δ = d/V.</param>
/// <param name="Gamma">γ = d/N.</param>
public sealed record ModelSummary(int D, int V, int N, int T, string Weights, string Corr, string Profile, double Alpha,
    double Kappa, double Delta, double Gamma)
{
    /// <summary>α/κ, the gain of the weights in effective SNR.</summary>
    public double AlphaOverKappa => Alpha / Kappa;

    /// <summary>Summary of <paramref name="model"/> built from <paramref name="spec"/>.</summary>
    /// <param name="spec">Specification (labels).</param>
    /// <param name="model">Built model (numbers).</param>
    public static ModelSummary Of(PooledSpec spec, PooledModel model) =>
        new(model.D, model.V, model.N, model.T, spec.WeightLabel, spec.Corr.Label, spec.ProfileLabel, model.Alpha,
            model.Kappa, model.Delta, model.Gamma);
}

/// <summary>Histogram of the nonzero sample eigenvalues over [0, hi] with the bin-averaged theory density; both
/// densities are normalised by the total number of eigenvalues (so they integrate to the continuous mass).</summary>
/// <param name="Centers">Bin centres.</param>
/// <param name="Empirical">Empirical density per bin.</param>
/// <param name="Theory">Theory density averaged over each bin.</param>
/// <param name="BinWidth">Bin width.</param>
/// <param name="Upper">Right end of the histogram range.</param>
public sealed record SpectrumHistogram(double[] Centers, double[] Empirical, double[] Theory, double BinWidth,
    double Upper);

/// <summary>Result of one spectrum draw (<see cref="PooledExperiments.Spectrum"/>).</summary>
/// <param name="Spec">Specification.</param>
/// <param name="Model">Model parameters.</param>
/// <param name="Snr">Signal strength |μ|².</param>
/// <param name="Rho">Effective SNR ρ.</param>
/// <param name="Theory">Spike theory (bulk, thresholds) of the Gaussian-table model.</param>
/// <param name="Prediction">Prediction at ρ.</param>
/// <param name="Eigenvalues">All sample eigenvalues, ascending.</param>
/// <param name="TopOverlap">Squared overlap of the top eigenvector with μ.</param>
/// <param name="FractionZero">Fraction of numerical zeros.</param>
/// <param name="Kolmogorov">Exact Kolmogorov distance to the theory law (<see
/// cref="SpectralDistance.Kolmogorov"/>).</param>
/// <param name="Histogram">Histogram against the theory density.</param>
public sealed record SpectrumResult(PooledSpec Spec, ModelSummary Model, double Snr, double Rho, SpikeTheory Theory,
    SpikePrediction Prediction, double[] Eigenvalues, double TopOverlap, double FractionZero, double Kolmogorov,
    SpectrumHistogram Histogram);

/// <summary>Agreement of simulation and theory over the phase points clearly above the sample threshold
/// (ρ &gt; 1.2 × threshold).</summary>
/// <param name="PointsAboveThreshold">Number of such points.</param>
/// <param name="MaxAbsZTop">Largest |sim − theory|/se of the top eigenvalue.</param>
/// <param name="MaxAbsZOverlap">Largest |sim − theory|/se of the overlap.</param>
/// <param name="MaxRelDevTop">Largest relative deviation of the top eigenvalue.</param>
/// <param name="MaxAbsDevOverlap">Largest absolute deviation of the overlap.</param>
public sealed record PhaseAgreement(int PointsAboveThreshold, double MaxAbsZTop, double MaxAbsZOverlap,
    double MaxRelDevTop,
    double MaxAbsDevOverlap);

/// <summary>Result of a phase diagram (<c>PooledExperiments.Phase</c>).</summary>
/// <param name="Spec">Specification.</param>
/// <param name="Model">Model parameters.</param>
/// <param name="Theory">Spike theory.</param>
/// <param name="SnrMin">Smallest |μ|².</param>
/// <param name="SnrMax">Largest |μ|².</param>
/// <param name="Trials">Draws per point.</param>
/// <param name="Points">Simulated points with their predictions.</param>
/// <param name="PopulationThresholdSnr">Population threshold in |μ|².</param>
/// <param name="SampleThresholdSnr">Sample threshold in |μ|².</param>
/// <param name="Agreement">Agreement above threshold.</param>
public sealed record PhaseResult(PooledSpec Spec, ModelSummary Model, SpikeTheory Theory, double SnrMin, double SnrMax,
    int Trials, PhasePoint[] Points, double PopulationThresholdSnr, double SampleThresholdSnr,
        PhaseAgreement Agreement);

/// <summary>One pooling scheme at the compared |μ|²: theory and simulation.</summary>
/// <param name="Label">Scheme label.</param>
/// <param name="Spec">Its specification.</param>
/// <param name="Model">Its built model (for theory curves).</param>
/// <param name="Rho">Effective SNR at the compared |μ|².</param>
/// <param name="ThresholdSnr">Sample threshold in |μ|².</param>
/// <param name="Simulation">Simulated point (mean ± se) with the theory prediction.</param>
public sealed record PoolingScheme(string Label, PooledSpec Spec, PooledModel Model, double Rho, double ThresholdSnr,
    PhasePoint Simulation)
{
    /// <summary>α/κ.</summary>
    public double AlphaOverKappa => Model.Alpha / Model.Kappa;
}

/// <summary>Result of a pooling comparison (<c>PooledExperiments.Pooling</c>).</summary>
/// <param name="Spec">Base specification.</param>
/// <param name="Snr">|μ|² at which the schemes are simulated.</param>
/// <param name="Trials">Draws per scheme.</param>
/// <param name="Schemes">Schemes in the order mean, optimal, harmonic τ = 0, [harmonic τ], [custom].</param>
public sealed record PoolingResult(PooledSpec Spec, double Snr, int Trials, PoolingScheme[] Schemes)
{
    /// <summary>Scheme with the largest α/κ (the lowest threshold).</summary>
    public PoolingScheme Best => Schemes.MaxBy(s => s.AlphaOverKappa)!;
}

/// <summary>The Study B part of <c>reproduce</c>.</summary>
/// <param name="Spectrum">Spectrum draw (iid positions).</param>
/// <param name="Phase">Phase diagram.</param>
/// <param name="Pooling">Pooling comparison.</param>
public sealed record PooledReproduction(SpectrumResult Spectrum, PhaseResult Phase, PoolingResult Pooling);

/// <summary>A sample eigenvalue above the fitted bulk edge λ₊, with the location predicted for the matching
/// table spike (NaN when the fit has no separating spike of that rank).</summary>
/// <param name="Rank">0 for the largest eigenvalue.</param>
/// <param name="Eigenvalue">Sample eigenvalue.</param>
/// <param name="Predicted">Predicted location from the fitted spike of the same rank.</param>
public sealed record TableOutlier(int Rank, double Eigenvalue, double Predicted);

/// <summary>Result of a spectrum draw with sequences pooled from a real embedding table
/// (<see cref="PooledExperiments.TableSpectrum"/>).</summary>
/// <param name="TableName">Where the table came from (file or built-in name).</param>
/// <param name="Model">Model parameters (d, V from the table).</param>
/// <param name="Snr">Signal strength |μ|².</param>
/// <param name="Rho">Effective SNR ρ.</param>
/// <param name="Fit">Top-r + isotropic fit of the table covariance.</param>
/// <param name="Eigenvalues">Sample eigenvalues, ascending.</param>
/// <param name="TopOverlap">Squared overlap of the top eigenvector with μ.</param>
/// <param name="ExactLaw">κ·(MP_γ ⊠ ν), ν the exact spectrum of the table covariance.</param>
/// <param name="FittedLaw">κ·(MP_γ ⊠ MP_δ ⊠ H), H the fitted population.</param>
/// <param name="BulkEdge">λ₊ of the fitted isotropic part (κσ² · edge of MP_δ ⊠ MP_γ).</param>
/// <param name="KolmogorovExact">Exact Kolmogorov distance to the exact-table law.</param>
/// <param name="KolmogorovFitted">Exact Kolmogorov distance to the fitted law.</param>
/// <param name="Outliers">Sample eigenvalues above λ₊, largest first.</param>
/// <param name="Signal">Signal outlier/overlap prediction from the exact table law.</param>
/// <param name="Histogram">Histogram against the exact-table law.</param>
/// <param name="FittedDensity">Bin-averaged density of the fitted law on the same bins.</param>
public sealed record TableSpectrumResult(string TableName, ModelSummary Model, double Snr, double Rho, TableFit Fit,
    double[] Eigenvalues, double TopOverlap, FreeProductLaw ExactLaw, FreeProductLaw FittedLaw, double BulkEdge,
    double KolmogorovExact, double KolmogorovFitted, TableOutlier[] Outliers, SpikePrediction Signal,
    SpectrumHistogram Histogram, double[] FittedDensity);
