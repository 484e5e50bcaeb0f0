using System.Globalization;
using AttentionSpectra.Studies.KernelPcaAudit;
using AttentionSpectra.Studies.PcaAlignment;
using AttentionSpectra.Studies.PooledSpectra;

namespace AttentionSpectra.Reporting;

/// <summary>The claims of the three papers checked against a <c>reproduce</c> run, as report sections with
/// verdicts and the run's figures.</summary>
public static class ReproduceReport
{
    private static string F(double x) => x.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>Study A's claims: heads trained on Gaussian data align with the principal eigenvector, and gradient
    /// descent on the infinite-prompt risk reaches its closed-form minimum.</summary>
    public static ReportSection StudyA(PcaReproduceResult r, string figureDir, ulong seed)
    {
        var claims = new List<Claim>
        {
            Claim.FromBound($"Softmax head (SGD, L = {r.Softmax.Options.L}, {r.Softmax.Runs.Count} seeds) aligns with u₁: " +
                            "mean final |cos(μ, u₁)| ≥ 0.99", 0.99, r.Softmax.FinalMean, atMost: false),
            Claim.FromBound($"Linear head (SGD, L = {r.Linear.Options.L}) aligns with u₁: mean final alignment ≥ 0.95",
                0.95, r.Linear.FinalMean, atMost: false),
            Claim.FromBound("Gradient descent on the infinite-prompt risk R_inf aligns with u₁: mean final alignment ≥ 0.99",
                0.99, r.Infinite.FinalMean, atMost: false),
            Claim.FromBound($"In-context (spiked Wishart) head aligns with the spike v: mean final alignment ≥ 0.9",
                0.9, r.Icl.FinalMean, atMost: false),
        };
        if (r.SoftmaxLSweep.Count > 0)
        {
            var last = r.SoftmaxLSweep[^1];
            claims.Add(Claim.FromBound($"Longer prompts help: alignment at L = {F(last.Value)} ≥ 0.99", 0.99,
                last.MeanAlignment, atMost: false));
        }
        return new ReportSection("Study A — attention heads learn the principal eigenvector",
            $"Small default run (seed {seed}): the three heads, an L sweep of the softmax head and the in-context head. " +
            "Paper-scale figures: attnspec reproduce --scale paper, or attnspec pca figure --list.", claims,
            Figures(figureDir, seed));
    }

    /// <summary>Study B's claims: the bulk law, the outlier location and overlap above the BBP threshold, and the
    /// ranking of pooling schemes.</summary>
    public static ReportSection StudyB(PooledReproduction r, string figureDir, ulong seed) =>
        new("Study B — random-matrix theory of attention pooling",
            $"Spectrum, phase diagram and pooling comparison at d = {r.Phase.Model.D} (seed {seed}).",
            StudyBClaims(r), Figures(figureDir, seed));

    /// <summary>Study B's claims (<see cref="SpectrumClaims"/>, <see cref="PhaseClaims"/>,
    /// <see cref="PoolingClaims"/>).</summary>
    public static IReadOnlyList<Claim> StudyBClaims(PooledReproduction r) =>
        [.. SpectrumClaims(r.Spectrum), .. PhaseClaims(r.Phase), .. PoolingClaims(r.Pooling)];

    /// <summary>The bulk law of one spectrum draw: the exact Kolmogorov distance to κ(MP_δ ⊠ MP_γ) is at most
    /// 0.05.</summary>
    public static IReadOnlyList<Claim> SpectrumClaims(SpectrumResult r) =>
    [
        Claim.FromBound("Bulk law κ(MP_δ ⊠ MP_γ): exact Kolmogorov distance of the sample spectrum " +
                        $"(d = {r.Model.D}) ≤ 0.05", 0.05, r.Kolmogorov, atMost: true),
    ];

    /// <summary>A spectrum drawn from a real embedding table: the exact Kolmogorov distance to the exact-table law
    /// is at most 0.05.</summary>
    public static IReadOnlyList<Claim> TableSpectrumClaims(TableSpectrumResult r) =>
    [
        Claim.FromBound($"Bulk law from the exact table spectrum ({r.TableName}): exact Kolmogorov distance ≤ 0.05",
            0.05, r.KolmogorovExact, atMost: true),
    ];

    /// <summary>The phase diagram: the simulated outlier location and overlap agree with theory (max |z| ≤ 4) at
    /// the points clearly above the sample threshold; not run when there are none.</summary>
    public static IReadOnlyList<Claim> PhaseClaims(PhaseResult r)
    {
        var a = r.Agreement;
        const string Top = "Outlier location above the sample threshold", Overlap =
            "Eigenvector overlap above the sample threshold";
        if (a.PointsAboveThreshold == 0)
        {
            const string why = "no simulated point lies clearly above the sample threshold (ρ > 1.2 × threshold)";
            return [Claim.NotRun(Top, why), Claim.NotRun(Overlap, why)];
        }
        return
        [
            new($"{Top}: max |z| over {a.PointsAboveThreshold} points", null, a.MaxAbsZTop, null, "max |z| ≤ 4",
                a.MaxAbsZTop, a.MaxAbsZTop <= 4 ? Verdict.Held : Verdict.DidNotHold,
                "max over points of |simulated mean − theory| / s.e.; 4 allows for the maximum over points"),
            new($"{Overlap}: max |z| over {a.PointsAboveThreshold} points", null, a.MaxAbsZOverlap, null,
                "max |z| ≤ 4", a.MaxAbsZOverlap, a.MaxAbsZOverlap <= 4 ? Verdict.Held : Verdict.DidNotHold),
        ];
    }

    /// <summary>The pooling comparison: optimal weights give at least the overlap of mean pooling, and their
    /// simulated overlap agrees with theory.</summary>
    public static IReadOnlyList<Claim> PoolingClaims(PoolingResult r)
    {
        var mean = r.Schemes.FirstOrDefault(s => s.Spec.Weights == WeightFamily.Mean);
        var opt = r.Schemes.FirstOrDefault(s => s.Spec.Weights == WeightFamily.Optimal);
        if (mean == null || opt == null) return [];
        return
        [
            Claim.FromBound("Optimal pooling weights give at least the overlap of mean pooling (simulation)",
                mean.Simulation.OverlapMean, opt.Simulation.OverlapMean, atMost: false, opt.Simulation.OverlapSe),
            Claim.FromZ("Optimal pooling: simulated overlap agrees with theory", opt.Simulation.Theory.SampleOverlap,
                opt.Simulation.OverlapMean, opt.Simulation.OverlapSe, 4),
        ];
    }

    /// <summary>Study C's claims: the metrics separate a kernel-PCA head from a random one, and the published
    /// model means (optimal cosine 0.32, linear CKA 0.11, RBF CKA 0.32) against the real recogniser.</summary>
    public static ReportSection StudyC(SyntheticExperimentResult synthetic, AuditSummary? ocr, string? ocrSkipped,
        string figureDir, ulong seed)
    {
        var claims = new List<Claim>(SyntheticClaims(synthetic));
        if (ocr != null) claims.AddRange(PublishedClaims(ocr, "the OCR recogniser"));
        else claims.Add(Claim.NotRun("Published model means on a real model (OCR recogniser)",
            ocrSkipped ?? "the OCR model is not installed (scripts/get-ocr-model.sh)"));
        return new ReportSection("Study C — is self-attention kernel PCA?",
            $"Synthetic control heads and the PaddleOCR recogniser (seed {seed}); conventions follow the published " +
            "code (docs/study-c.md).", claims, Figures(figureDir, seed));
    }

    /// <summary>The synthetic controls: a head with V = V_KPCA scores linear CKA 1, an independent random V scores
    /// below it.</summary>
    public static IReadOnlyList<Claim> SyntheticClaims(SyntheticExperimentResult synthetic)
    {
        var claims = new List<Claim>();
        var kpca = synthetic.Kinds.FirstOrDefault(k => k.Kind.Contains("kpca", StringComparison.OrdinalIgnoreCase));
        var indep = synthetic.Kinds.FirstOrDefault(k => k.Kind.Contains("indep", StringComparison.OrdinalIgnoreCase));
        if (kpca != null)
            claims.Add(Claim.FromAbsolute("A head with V = V_KPCA scores linear CKA 1 (control)", 1.0,
                kpca.Summary.Metrics.LinearCka.Mean, 1e-9));
        if (indep != null && kpca != null)
            claims.Add(Claim.FromBound("An independent random V scores below the kernel-PCA head (linear CKA)",
                kpca.Summary.Metrics.LinearCka.Mean, indep.Summary.Metrics.LinearCka.Mean, atMost: true));
        return claims;
    }

    /// <summary>The published model means (optimal cosine 0.32, linear CKA 0.11, RBF CKA 0.32) as upper bounds of
    /// the audited model's means.</summary>
    /// <param name="s">The audit's summary.</param>
    /// <param name="model">How to name the model in the claims (default: the summary's model name).</param>
    public static IReadOnlyList<Claim> PublishedClaims(AuditSummary s, string? model = null) =>
        s.PublishedComparison.Select(b => Claim.FromBound($"Published model mean of {b.Metric} ≤ " +
                $"{F(b.PublishedMean)} holds on {model ?? s.Model} (mean over {s.HeadInputs} head-inputs; " +
                $"max {F(b.ObservedMax)})", b.PublishedMean, b.ObservedMean, atMost: true)).ToList();

    /// <summary>Every PNG/SVG in <paramref name="dir"/> (not below it), captioned with its name and the seed.</summary>
    public static IReadOnlyList<ReportFigure> Figures(string dir, ulong seed) =>
        !System.IO.Directory.Exists(dir) ? [] :
        System.IO.Directory.GetFiles(dir).Where(HtmlReport.IsImage)
            .Order(StringComparer.Ordinal)
            .Select(f => new ReportFigure(f, HtmlReport.FigureCaption(f, seed)))
            .ToList();
}
