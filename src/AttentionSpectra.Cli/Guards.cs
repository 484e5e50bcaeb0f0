using System.Globalization;
using AttentionSpectra.Models;
using AttentionSpectra.Reporting;
using AttentionSpectra.Studies.PcaAlignment;
using AttentionSpectra.Studies.PooledSpectra;

namespace AttentionSpectra.Cli;

/// <summary>A memory estimate of a command, made from its options before anything is allocated.</summary>
/// <param name="What">The dominant allocation, in words (shown in the refusal).</param>
/// <param name="Bytes">Estimated peak bytes (double, so no product of options can overflow).</param>
/// <param name="LargestArray">Elements of the largest single array (.NET arrays hold at most
/// <see cref="Array.MaxLength"/>).</param>
/// <param name="Hint">Which options to lower.</param>
public sealed record MemoryEstimate(string What, double Bytes, double LargestArray, string Hint);

/// <summary>Size guards: every command estimates its peak memory from its options and is refused (exit 2) when the
/// estimate exceeds <c>--max-memory</c> (default <see cref="DefaultMaxMemory"/>) or an array would exceed the .NET
/// array limit. Estimates count the dominant double-precision buffers (8 bytes per entry) and the buffers each
/// parallel worker holds (<see cref="Workers"/>); they are upper-bound-style guides, not exact figures.</summary>
public static class Guards
{
    private const double Bytes8 = 8;

    /// <summary>Default memory limit: 75% of the memory available to the process (physical or container limit).
    /// </summary>
    public static long DefaultMaxMemory => (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * 0.75);

    /// <summary>Parallel workers assumed by the estimates.</summary>
    public static int Workers => Math.Max(1, Environment.ProcessorCount);

    /// <summary>Refuse the run when <paramref name="e"/> exceeds the context's limit or the array limit.</summary>
    public static void Check(RunContext ctx, MemoryEstimate e)
    {
        if (!(e.LargestArray <= Array.MaxLength))
            throw new UsageException($"{ctx.Command}: {e.What} needs an array of {e.LargestArray:G4} entries, " +
                                     $"more than .NET allows ({Array.MaxLength}).", e.Hint);
        if (!(e.Bytes <= ctx.MaxMemoryBytes))
            throw new UsageException($"{ctx.Command} would need about {FormatBytes(e.Bytes)} of memory ({e.What}), " +
                                     $"above the limit of {FormatBytes(ctx.MaxMemoryBytes)}.",
                                     e.Hint + ", or raise --max-memory");
    }

    /// <summary>"1.5 GB"-style size (binary multiples).</summary>
    public static string FormatBytes(double b)
    {
        string[] u = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"];
        int i = 0;
        while (b >= 1024 && i < u.Length - 1) { b /= 1024; i++; }
        return b.ToString(i == 0 ? "F0" : "F1", CultureInfo.InvariantCulture) + " " + u[i];
    }

    /// <summary>pca train: per worker the covariance and its factors (4 d²) and a batch of prompts (2 B L d).
    /// </summary>
    public static MemoryEstimate PcaTrain(PcaTrainOptions o)
    {
        double d = o.D, l = o.L, b = o.Batch;
        double p = Math.Min(Math.Max(o.Seeds, 1), Workers);
        return new($"d = {o.D}: {o.D}x{o.D} covariance per seed, batches of {o.Batch}x{o.L}x{o.D} prompts",
            Bytes8 * (p * (4 * d * d + 2 * b * l * d) + 2 * d * d), Math.Max(d * d, b * l * d / Math.Max(b, 1)),
            "lower --d, --L or --batch");
    }

    /// <summary>pca sweep: the largest point of the sweep.</summary>
    public static MemoryEstimate PcaSweep(PcaTrainOptions o, string over, IReadOnlyList<int> values) =>
        values.Select(v => PcaTrain(over == "d" ? o with { D = v } : o with { L = v }))
            .MaxBy(e => e.Bytes) ?? PcaTrain(o);

    /// <summary>pca landscape: the covariance, its eigenvectors and one d x d Hessian at a time (6 d²).</summary>
    public static MemoryEstimate PcaLandscape(int d) =>
        new($"d = {d}: {d}x{d} covariance and Hessians", Bytes8 * 6.0 * d * d, (double)d * d, "lower --d");

    /// <summary>icl train/sweep: per worker a batch of prompts with their own covariance (B (L d + n d + d²)).
    /// </summary>
    public static MemoryEstimate Icl(IclOptions o)
    {
        double d = o.D, l = o.L, b = o.Batch, n = o.N;
        double p = Math.Min(Math.Max(o.Seeds, 1), Workers);
        return new($"batches of {o.Batch} prompts of {o.L}x{o.D} tokens with {o.D}x{o.D} covariances",
            Bytes8 * p * b * (2 * l * d + n * d + 2 * d * d), Math.Max(d * d, Math.Max(l * d, n * d)),
            "lower --d, --L, --n or --batch");
    }

    /// <summary>icl sweep: the largest point of the sweep.</summary>
    public static MemoryEstimate IclSweep(IclOptions o, string over, IReadOnlyList<double> values) =>
        values.Select(v => Icl(over switch
            {
                "d" => o with { D = (int)Math.Min(v, int.MaxValue) },
                "n" => o with { N = (int)Math.Min(v, int.MaxValue) },
                "L" => o with { L = (int)Math.Min(v, int.MaxValue) },
                _ => o,
            }))
            .MaxBy(e => e.Bytes) ?? Icl(o);

    /// <summary>pca digits: 64-dimensional tokens; per worker a batch of B x L x 64 prompts.</summary>
    public static MemoryEstimate Digits(DigitsOptions o)
    {
        double p = Math.Min(Math.Max(o.Seeds, 1), Workers);
        return new($"batches of {o.Batch}x{o.L}x64 prompts", Bytes8 * p * 2.0 * o.Batch * o.L * 64 + 8e6,
            (double)o.L * 64, "lower --L or --batch");
    }

    /// <summary>rmt: per worker the token table (V d) and the pooled rows (N d); the d x d sample covariance and its
    /// eigenvectors (3 d²); the T x T correlation and its factor.</summary>
    public static MemoryEstimate Pooled(PooledSpec s)
    {
        double d = s.D, v = s.V, n = s.N, t = s.T;
        return new($"V x d = {s.V}x{s.D} token table and N x d = {s.N}x{s.D} pooled rows per worker",
            Bytes8 * (Workers * (v * d + n * d) + 3 * d * d + 3 * t * t), Math.Max(Math.Max(v * d, n * d), d * d),
            "lower --d, --V or --N");
    }

    /// <summary>kpca synthetic: 3 x trials heads of N x D Q/K/V and N x C inputs, and per worker the N x N attention,
    /// Gram and eigenvector matrices (about 10 N²).</summary>
    public static MemoryEstimate KpcaSynthetic(int tokens, int dim, int headDim, int trials)
    {
        double n = tokens, c = dim, d = headDim;
        return new($"N = {tokens}: {tokens}x{tokens} attention and Gram matrices per head",
            Bytes8 * (Workers * 10 * n * n + 3.0 * trials * (3 * n * d + n * c)), Math.Max(n * n, n * c),
            "lower --tokens or --dim");
    }

    /// <summary>Tokens assumed per image pixel for ONNX image models: the PaddleOCR recogniser turns a 48 x 320 image
    /// into 40 tokens (one per 384 pixels); ViT-B/16 has one per 256.</summary>
    public const double PixelsPerToken = 256;

    /// <summary>kpca audit: the model (the file, read and held as doubles: 3 x its size) plus, per worker, about
    /// 10 N² for the N x N attention/Gram/eigenvector matrices of one head; for ONNX the runtime also holds every
    /// layer's attention (assumed 16 heads x 4 bytes x N²). N is the token count: --tokens for text models, else
    /// H x W / <see cref="PixelsPerToken"/> of the image shape (--input-shape or 48 x 320).</summary>
    public static MemoryEstimate KpcaAudit(string modelPath, int[]? inputShape, int tokens)
    {
        double file = File.Exists(modelPath) ? new FileInfo(modelPath).Length : 0;
        double n = tokens;
        string what = $"{tokens}-token inputs";
        if (inputShape is { Length: >= 2 })
        {
            double pixels = (double)inputShape[^1] * inputShape[^2];
            double elems = inputShape.Aggregate(1.0, (a, b) => a * b);
            n = Math.Max(n, pixels / PixelsPerToken);
            what = $"input shape {string.Join('x', inputShape)}: about {n:F0} tokens";
            file += 64 * 4 * elems; // activations of the convolutional stem
        }
        return new(what + $", {n:F0}x{n:F0} attention per head",
            3 * file + Bytes8 * Workers * 10 * n * n + 4.0 * 16 * n * n, n * n,
            "lower --input-shape or --tokens");
    }

    /// <summary>Check a custom weight list given literally: strict items, at most <paramref name="maxT"/> weights.
    /// A file name is left to the library.</summary>
    public static void CustomWeights(string? spec, int maxT = 1024)
    {
        if (spec == null || File.Exists(spec)) return;
        if (spec.IndexOfAny(['/', '\\']) >= 0 && !spec.Contains(',')) return;
        Parsing.Numbers(spec, "--custom-weights", maxT);
    }

    /// <summary>Reject --custom-weights on a command whose --weights is not custom (it would be silently ignored or
    /// silently change T).</summary>
    public static void CustomNeedsCustomFamily(bool hasCustomWeights, bool familyIsCustom)
    {
        if (hasCustomWeights && !familyIsCustom)
            throw new UsageException("--custom-weights needs --weights custom here.",
                "add --weights custom, or use 'rmt pooling', which compares custom weights with the other schemes");
    }

    /// <summary>Everything about a kpca audit request that can be checked before the work starts: options that do
    /// not apply to the model's format, the memory estimate and, for safetensors encoders (whose header gives the
    /// architecture), the --layers/--heads indices and an explicit --tokens against the model.</summary>
    public static void CheckAudit(RunContext ctx, AuditRequest req, bool tokensGiven)
    {
        if (BuiltinModels.IsBuiltin(req.ModelPath))
        {
            // a built-in model is a fixed ONNX graph; the extractor's own estimate guards its inputs
            if (req.NumHeads != null)
                throw new UsageException("--num-heads applies to safetensors models only; an ONNX graph fixes its heads.");
            return;
        }
        var fmt = req.Format == ModelFormat.Auto ? AuditRunner.Detect(req.ModelPath) : req.Format;
        if (fmt == ModelFormat.Onnx && req.NumHeads != null)
            throw new UsageException("--num-heads applies to safetensors models only; an ONNX graph fixes its heads.");
        if (fmt == ModelFormat.Safetensors && req.InputShape != null)
            throw new UsageException(
                "--input-shape applies to ONNX models only; a safetensors encoder fixes its input size.");
        if (fmt != ModelFormat.Safetensors)
        {
            Check(ctx, KpcaAudit(req.ModelPath, req.InputShape, req.Tokens));
            return;
        }
        var enc = new SafeTensorsEncoder(SafeTensorsFile.Open(req.ModelPath), req.NumHeads);
        Parsing.CheckIndices(req.Layers, enc.Layers, "--layers", "layers");
        Parsing.CheckIndices(req.Heads, enc.Heads, "--heads", "heads per layer");
        if (tokensGiven && enc.Kind == EncoderKind.Bert && req.Tokens > enc.MaxPositions)
            throw new UsageException($"--tokens {req.Tokens} exceeds the model's {enc.MaxPositions} positions.",
                $"use --tokens {enc.MaxPositions} or fewer");
        int n = enc.Kind == EncoderKind.Bert
            ? Math.Min(req.Tokens, enc.MaxPositions)
            : (enc.ImageSize / Math.Max(enc.PatchSize, 1)) * (enc.ImageSize / Math.Max(enc.PatchSize, 1)) + 2;
        var e = KpcaAudit(req.ModelPath, null, n);
        double image = (double)enc.Channels * enc.ImageSize * enc.ImageSize;
        Check(ctx, e with { Bytes = e.Bytes + Bytes8 * 3 * image * Math.Max(1, req.RandomInputs) });
    }
}
