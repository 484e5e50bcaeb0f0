using AttentionSpectra.Sharding;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PooledSpectra;

/// <summary>The experiments of Study B with typed inputs and results: one spectrum draw against the theory law, the
/// phase diagram of the outlier and overlap, the comparison of pooling schemes, and the small default
/// <see cref="Reproduce"/>. Rendering (tables, figures, JSON) lives in AttentionSpectra.Reporting.</summary>
public static class PooledExperiments
{
    /// <summary>One draw: all eigenvalues of S, histogram against the density κ(MP_δ ⊠ MP_γ), the exact Kolmogorov
    /// distance, the top overlap and the prediction at ρ.</summary>
    /// <param name="spec">Model specification.</param>
    /// <param name="snr">Signal strength |μ|² (≥ 0).</param>
    /// <param name="bins">Histogram bins, in [5, 1000].</param>
    /// <param name="rng">Randomness.</param>
    /// <param name="progress">Progress sink.</param>
    public static SpectrumResult Spectrum(PooledSpec spec, double snr, int bins, Rng rng,
        IProgress<ProgressUpdate>? progress = null)
    {
        if (bins < 5 || bins > 1000)
            throw new ArgumentException($"bins must lie in [5, 1000], got {bins}.", nameof(bins));
        CheckSnr(snr, nameof(snr));
        var m = spec.Build();
        var th = m.Theory();
        progress.Report("rmt spectrum", 0, 2);
        var (ev, ov) = PooledSimulator.Spectrum(m, snr, rng);
        progress.Report("rmt spectrum", 1, 2);
        double rho = m.Rho(snr);
        var hist = Histogram(ev, th.Bulk, bins, Math.Max(th.Bulk.UpperEdge, ev[^1]) * 1.05);
        double zero = 1e-9 * hist.Upper;
        progress.Report("rmt spectrum", 2, 2);
        return new SpectrumResult(spec, ModelSummary.Of(spec, m), snr, rho, th, th.Predict(rho), ev, ov,
            ev.Count(e => e <= zero) / (double)ev.Length, SpectralDistance.Kolmogorov(ev, th.Bulk), hist);
    }

    /// <summary>One draw with tokens from a real embedding table: sample spectrum of S against the exact-table law
    /// κ·(MP_γ ⊠ ν) and the fitted top-r + isotropic law κ·(MP_γ ⊠ MP_δ ⊠ H), exact Kolmogorov distances, the
    /// outliers above the fitted bulk edge with their predicted locations, and the signal prediction.</summary>
    /// <param name="table">Embedding table (V×d rows); centred internally.</param>
    /// <param name="tableName">Label of the table.</param>
    /// <param name="spec">Pooling specification (its D and V are ignored: they come from the table).</param>
    /// <param name="snr">Signal strength |μ|² (≥ 0).</param>
    /// <param name="rank">Number of spikes of the fit (null: <see cref="TableFit.AutomaticRank"/>).</param>
    /// <param name="bins">Histogram bins, in [5, 1000].</param>
    /// <param name="rng">Randomness.</param>
    /// <param name="progress">Progress sink.</param>
    public static TableSpectrumResult TableSpectrum(Matrix table, string tableName, PooledSpec spec, double snr,
        int? rank,
        int bins, Rng rng, IProgress<ProgressUpdate>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (bins < 5 || bins > 1000)
            throw new ArgumentException($"bins must lie in [5, 1000], got {bins}.", nameof(bins));
        CheckSnr(snr, nameof(snr));
        const string task = "rmt spectrum (table)";
        progress.Report(task, 0, 4);
        var r = spec.CorrelationMatrix();
        var m = PooledModel.WithTable(table, spec.N, spec.WeightVector(r), r, spec.ProfileAmplitudes());
        var fit = TableFit.Fit(TableFit.CovarianceEigenvalues(m.FixedTable!), m.Delta, rank);
        progress.Report(task, 1, 4);
        var (ev, ov) = PooledSimulator.Spectrum(m, snr, rng);
        progress.Report(task, 2, 4);
        var exact = new FreeProductLaw(fit.TableEigenvalues.Where(x => x > 0).ToArray(), null, [m.Gamma], m.Kappa);
        var fitted = fit.SampleLaw(m.Gamma, m.Kappa);
        double edge = fit.BulkEdge(m.Gamma, m.Kappa);
        var outliers = new List<TableOutlier>();
        for (int i = ev.Length - 1, k = 0; i >= 0 && ev[i] > edge; i--, k++)
            outliers.Add(new TableOutlier(k, ev[i], k < fit.Rank ? fit.PredictedOutlier(k, m.Gamma,
                m.Kappa) : double.NaN));
        double rho = m.Rho(snr);
        var signal = TableSpikeTheory.ForEigenvalues(fit.TableEigenvalues, m.Gamma, m.Kappa).Predict(rho);
        double ksExact = SpectralDistance.Kolmogorov(ev, exact);
        progress.Report(task, 3, 4);
        double ksFitted = SpectralDistance.Kolmogorov(ev, fitted);
        // the histogram covers the bulk (up to 1.5 λ₊ or the 98th percentile); outliers beyond are listed
        double upper = Math.Max(1.5 * edge, ev[(int)(0.98 * (ev.Length - 1))] * 1.05);
        var hist = Histogram(ev, exact, bins, upper);
        var fittedHist = Histogram(ev, fitted, bins, upper).Theory;
        progress.Report(task, 4, 4);
        var summary = ModelSummary.Of(spec, m);
        return new TableSpectrumResult(tableName, summary, snr, rho, fit, ev, ov, exact, fitted, edge, ksExact,
            ksFitted,
            outliers.ToArray(), signal, hist, fittedHist);
    }

    /// <summary>Histogram of the nonzero eigenvalues over [0, <paramref name="upper"/>] with the theory density
    /// averaged over each bin (20-point sub-grid); numerical zeros (|λ| ≤ 1e-9 · upper) are left out so both
    /// columns integrate to the continuous mass.</summary>
    /// <param name="eigenvalues">Sample eigenvalues.</param>
    /// <param name="law">Theory law.</param>
    /// <param name="bins">Number of bins.</param>
    /// <param name="upper">Right end.</param>
    public static SpectrumHistogram Histogram(IReadOnlyList<double> eigenvalues, ISpectralLaw law, int bins,
        double upper)
    {
        double bw = upper / bins;
        var counts = new double[bins];
        foreach (var e in eigenvalues)
        {
            if (e <= 1e-9 * upper) continue;
            int b = (int)Math.Floor(e / bw);
            if (b >= 0 && b < bins) counts[b]++;
        }
        var centers = new double[bins];
        var emp = new double[bins];
        var theory = new double[bins];
        const int sub = 20;
        for (int b = 0; b < bins; b++)
        {
            centers[b] = (b + 0.5) * bw;
            double dens = 0;
            for (int s = 0; s < sub; s++) dens += law.Density((b + (s + 0.5) / sub) * bw);
            emp[b] = counts[b] / (eigenvalues.Count * bw);
            theory[b] = dens / sub;
        }
        return new SpectrumHistogram(centers, emp, theory, bw, upper);
    }

    /// <summary>Outlier location and overlap against |μ|²: <paramref name="points"/> values from
    /// <paramref name="snrMin"/> to <paramref name="snrMax"/> (≤ 0: three times the sample threshold),
    /// <paramref name="trials"/> draws each.</summary>
    /// <param name="spec">Model specification.</param>
    /// <param name="snrMin">Smallest |μ|².</param>
    /// <param name="snrMax">Largest |μ|² (≤ 0 for the default).</param>
    /// <param name="points">Number of values, in [2, 500].</param>
    /// <param name="trials">Draws per value, in [2, 10000].</param>
    /// <param name="rng">Randomness.</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static PhaseResult Phase(PooledSpec spec, double snrMin, double snrMax, int points, int trials, Rng rng,
        IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default) =>
        Phase(spec, snrMin, snrMax, points, trials, rng, ShardMode.InProcess, null, progress, cancellationToken)!;

    /// <summary>The phase diagram under a <see cref="ShardMode"/> (see
    /// <see cref="PooledSimulator.Phase(PooledModel, IReadOnlyList{double}, int, Rng, ShardMode, ShardPlan?, IProgress{ProgressUpdate}?, string, EigenPath, CancellationToken)"/>):
    /// null for a shard that only stored its units.</summary>
    /// <param name="spec">Model specification.</param>
    /// <param name="snrMin">Smallest |μ|² (≥ 0).</param>
    /// <param name="snrMax">Largest |μ|²; ≤ 0 selects three times the sample threshold.</param>
    /// <param name="points">Number of values, in [2, 500].</param>
    /// <param name="trials">Draws per value, in [2, 10000].</param>
    /// <param name="rng">Randomness.</param>
    /// <param name="mode">In process, one shard, or merge.</param>
    /// <param name="plan">The job's plan (points × trials units).</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static PhaseResult? Phase(PooledSpec spec, double snrMin, double snrMax, int points, int trials, Rng rng,
        ShardMode mode, ShardPlan? plan, IProgress<ProgressUpdate>? progress = null,
        CancellationToken cancellationToken = default)
    {
        if (points < 2 || points > 500)
            throw new ArgumentException($"points must lie in [2, 500], got {points}.", nameof(points));
        CheckTrials(trials);
        CheckSnr(snrMin, nameof(snrMin));
        var m = spec.Build();
        var th = m.Theory();
        if (snrMax <= 0) snrMax = Math.Max(3 * m.SnrForRho(th.SampleThreshold), snrMin * 1.5 + 1e-9);
        if (!(snrMax > snrMin) || !double.IsFinite(snrMax))
            throw new ArgumentException($"snrMax ({snrMax}) must be finite and larger than snrMin ({snrMin}).",
                nameof(snrMax));
        var snrs = Enumerable.Range(0, points).Select(i => snrMin + (snrMax - snrMin) * i / (points - 1)).ToArray();
        var pts = PooledSimulator.Phase(m, snrs, trials, rng, mode, plan, progress, cancellationToken: cancellationToken);
        if (pts == null) return null;
        var above = pts.Where(p => p.Theory.SampleOutlier && p.Rho > 1.2 * th.SampleThreshold).ToArray();
        var agreement = new PhaseAgreement(above.Length,
            above.Select(p => Math.Abs(p.TopMean - p.Theory.SampleTop) / Math.Max(p.TopSe,
                1e-300)).DefaultIfEmpty(0).Max(),
            above.Select(p => Math.Abs(p.OverlapMean - p.Theory.SampleOverlap) / Math.Max(p.OverlapSe,
                1e-300)).DefaultIfEmpty(0).Max(),
            above.Select(p => Math.Abs(p.TopMean / p.Theory.SampleTop - 1)).DefaultIfEmpty(0).Max(),
            above.Select(p => Math.Abs(p.OverlapMean - p.Theory.SampleOverlap)).DefaultIfEmpty(0).Max());
        return new PhaseResult(spec, ModelSummary.Of(spec, m), th, snrMin, snrMax, trials, pts,
            m.SnrForRho(th.PopulationThreshold), m.SnrForRho(th.SampleThreshold), agreement);
    }

    /// <summary>The schemes compared by <see cref="Pooling(PooledSpec, double, double, int, Rng, IProgress{ProgressUpdate}?, CancellationToken)"/>: mean, optimal, harmonic τ = 0, harmonic
    /// <paramref name="tau"/> (when τ ≠ 0) and custom (when the specification has custom weights).</summary>
    /// <param name="spec">Base specification (correlation, profile, sizes).</param>
    /// <param name="tau">Extra harmonic temperature.</param>
    public static IReadOnlyList<PooledSpec> Schemes(PooledSpec spec, double tau)
    {
        var schemes = new List<PooledSpec>
        {
            spec with { Weights = WeightFamily.Mean, CustomWeights = null },
            spec with { Weights = WeightFamily.Optimal, CustomWeights = null },
            spec with { Weights = WeightFamily.Harmonic, Tau = 0, CustomWeights = null },
        };
        if (tau != 0) schemes.Add(spec with { Weights = WeightFamily.Harmonic, Tau = tau, CustomWeights = null });
        if (spec.CustomWeights != null) schemes.Add(spec with { Weights = WeightFamily.Custom });
        return schemes;
    }

    /// <summary>1.5 times the sample threshold of mean pooling, in |μ|² (the default compared strength).</summary>
    /// <param name="spec">Specification.</param>
    public static double DefaultPoolingSnr(PooledSpec spec)
    {
        var mean = (spec with { Weights = WeightFamily.Mean, CustomWeights = null }).Build();
        return 1.5 * mean.SnrForRho(mean.Theory().SampleThreshold);
    }

    /// <summary>Compare pooling schemes (<see cref="Schemes"/>) at one |μ|²: α/κ, effective SNR, predicted
    /// threshold, predicted and simulated top eigenvalue and overlap (scheme i uses rng.Split(i)).</summary>
    /// <param name="spec">Base specification.</param>
    /// <param name="snr">|μ|² (≥ 0).</param>
    /// <param name="tau">Extra harmonic temperature (0: none).</param>
    /// <param name="trials">Draws per scheme, in [2, 10000].</param>
    /// <param name="rng">Randomness.</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static PoolingResult Pooling(PooledSpec spec, double snr, double tau, int trials, Rng rng,
        IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default) =>
        Pooling(spec, snr, tau, trials, rng, ShardMode.InProcess, null, progress, cancellationToken)!;

    /// <summary>The pooling comparison under a <see cref="ShardMode"/>: unit i·trials + t is draw t of scheme i
    /// (rng.Split(i).Split(t), as in the single-process run); null for a shard that only stored its units.</summary>
    /// <param name="spec">Base specification.</param>
    /// <param name="snr">|μ|² (≥ 0).</param>
    /// <param name="tau">Extra harmonic temperature (0: none).</param>
    /// <param name="trials">Draws per scheme, in [2, 10000].</param>
    /// <param name="rng">Randomness.</param>
    /// <param name="mode">In process, one shard, or merge.</param>
    /// <param name="plan">The job's plan (schemes × trials units, see <see cref="Schemes"/>).</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static PoolingResult? Pooling(PooledSpec spec, double snr, double tau, int trials, Rng rng,
        ShardMode mode, ShardPlan? plan, IProgress<ProgressUpdate>? progress = null,
        CancellationToken cancellationToken = default)
    {
        CheckTrials(trials);
        CheckSnr(snr, nameof(snr));
        var specs = Schemes(spec, tau);
        var models = specs.Select(s => s.Build()).ToArray();
        int total = specs.Count * trials;
        plan ??= new ShardPlan("rmt pooling", [], total, "scheme × trial");
        if (plan.TotalUnits != total)
            throw new ArgumentException($"The plan has {plan.TotalUnits} units, the comparison {total}.", nameof(plan));
        var draws = ShardedRun.Run(plan, mode, () => new Dictionary<int, PooledSimulator.Workspace>(), (u, ws) =>
        {
            int i = u / trials, t = u % trials;
            if (!ws.TryGetValue(i, out var w)) ws[i] = w = new PooledSimulator.Workspace(models[i]);
            return PooledSimulator.Trial(models[i], snr, rng.Split((ulong)i).Split((ulong)t), w);
        }, progress, "rmt pooling", cancellationToken);
        if (draws == null) return null;
        var result = new PoolingScheme[specs.Count];
        for (int i = 0; i < specs.Count; i++)
        {
            var m = models[i];
            var th = m.Theory();
            var p = PooledSimulator.Summarise(m, th, snr, new ArraySegment<TrialResult>(draws, i * trials, trials));
            result[i] = new PoolingScheme(specs[i].WeightLabel, specs[i], m, p.Rho, m.SnrForRho(th.SampleThreshold), p);
        }
        return new PoolingResult(spec, snr, trials, result);
    }

    /// <summary>The default Study B run of <c>reproduce</c> (d = 300, V = 600, N = 900, T = 16, exp:0.8): spectrum
    /// (iid positions, 50 bins) with rng.Split(0), phase (16 points × 8 trials) with rng.Split(1), pooling
    /// (τ = 2, 8 trials, 1.5 × the mean-pooling threshold) with rng.Split(2).</summary>
    /// <param name="rng">Randomness.</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static PooledReproduction Reproduce(Rng rng, IProgress<ProgressUpdate>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var spec = new PooledSpec(300, 600, 900, 16, WeightFamily.Mean, 0, null, CorrelationSpec.Parse("exp:0.8"));
        var spectrum = Spectrum(spec with { Corr = CorrelationSpec.Iid }, 0, 50, rng.Split(0), progress);
        cancellationToken.ThrowIfCancellationRequested();
        var phase = Phase(spec, 0, 0, 16, 8, rng.Split(1), progress, cancellationToken);
        var built = spec.Build();
        var pooling = Pooling(spec, 0.0 + 1.5 * built.SnrForRho(built.Theory().SampleThreshold), 2.0, 8, rng.Split(2),
            progress,
            cancellationToken);
        return new PooledReproduction(spectrum, phase, pooling);
    }

    private static void CheckTrials(int trials)
    {
        if (trials < 2 || trials > 10000)
            throw new ArgumentException($"trials must lie in [2, 10000], got {trials}.", nameof(trials));
    }

    private static void CheckSnr(double snr, string name)
    {
        if (!(snr >= 0) || !double.IsFinite(snr))
            throw new ArgumentException($"{name} must be finite and >= 0, got {snr}.", name);
    }
}
