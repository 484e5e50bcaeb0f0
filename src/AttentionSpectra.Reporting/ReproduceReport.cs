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
    public static ReportSection StudyB(PooledReproduction r, string figureDir, ulong seed)
    {
        var a = r.Phase.Agreement;
        var claims = new List<Claim>
        {
            Claim.FromBound($"Bulk law κ(MP_δ ⊠ MP_γ): exact Kolmogorov distance of the sample spectrum (d = {r.Spectrum.Model.D}) ≤ 0.05",
                0.05, r.Spectrum.Kolmogorov, atMost: true),
            new($"Outlier location above the sample threshold: max |z| over {a.PointsAboveThreshold} points",
                null, a.MaxAbsZTop, null, "max |z| ≤ 4", a.MaxAbsZTop,
                a.PointsAboveThreshold > 0 && a.MaxAbsZTop <= 4 ? Verdict.Held : Verdict.DidNotHold,
                "max over points of |simulated mean − theory| / s.e.; 4 allows for the maximum over points"),
            new($"Eigenvector overlap above the sample threshold: max |z| over {a.PointsAboveThreshold} points",
                null, a.MaxAbsZOverlap, null, "max |z| ≤ 4", a.MaxAbsZOverlap,
                a.PointsAboveThreshold > 0 && a.MaxAbsZOverlap <= 4 ? Verdict.Held : Verdict.DidNotHold),
        };
        var schemes = r.Pooling.Schemes;
        var mean = schemes.FirstOrDefault(s => s.Spec.Weights == WeightFamily.Mean);
        var opt = schemes.FirstOrDefault(s => s.Spec.Weights == WeightFamily.Optimal);
        if (mean != null && opt != null)
        {
            claims.Add(Claim.FromBound("Optimal pooling weights give at least the overlap of mean pooling (simulation)",
                mean.Simulation.OverlapMean, opt.Simulation.OverlapMean, atMost: false, opt.Simulation.OverlapSe));
            claims.Add(Claim.FromZ("Optimal pooling: simulated overlap agrees with theory", opt.Simulation.Theory.SampleOverlap,
                opt.Simulation.OverlapMean, opt.Simulation.OverlapSe, 4));
        }
        return new ReportSection("Study B — random-matrix theory of attention pooling",
            $"Spectrum, phase diagram and pooling comparison at d = {r.Phase.Model.D} (seed {seed}).", claims,
            Figures(figureDir, seed));
    }

    /// <summary>Study C's claims: the metrics separate a kernel-PCA head from a random one, and the published
    /// model means (optimal cosine 0.32, linear CKA 0.11, RBF CKA 0.32) against the real recogniser.</summary>
    public static ReportSection StudyC(SyntheticExperimentResult synthetic, AuditSummary? ocr, string? ocrSkipped,
        string figureDir, ulong seed)
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
        if (ocr != null)
        {
            var s = ocr;
            foreach (var b in s.PublishedComparison)
                claims.Add(Claim.FromBound($"Published model mean of {b.Metric} ≤ {F(b.PublishedMean)} holds on the OCR " +
                                           $"recogniser (mean over {s.HeadInputs} head-inputs; max {F(b.ObservedMax)})",
                    b.PublishedMean, b.ObservedMean, atMost: true));
        }
        else claims.Add(Claim.NotRun("Published model means on a real model (OCR recogniser)",
            ocrSkipped ?? "the OCR model is not installed (scripts/get-ocr-model.sh)"));
        return new ReportSection("Study C — is self-attention kernel PCA?",
            $"Synthetic control heads and the PaddleOCR recogniser (seed {seed}); conventions follow the published code " +
            "(docs/study-c.md).", claims, Figures(figureDir, seed));
    }

    /// <summary>Every PNG/SVG in <paramref name="dir"/> (not below it), captioned with its name and the seed.</summary>
    public static IReadOnlyList<ReportFigure> Figures(string dir, ulong seed) =>
        !System.IO.Directory.Exists(dir) ? [] :
        System.IO.Directory.GetFiles(dir).Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase)
                || f.EndsWith(".svg", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .Select(f => new ReportFigure(f, $"{Path.GetFileNameWithoutExtension(f).Replace('_', ' ').Replace('-', ' ')}; " +
                                             $"seed {seed}; parameters in the summary JSON beside it."))
            .ToList();
}
