using AttentionSpectra.Studies.KernelPcaAudit;
using AttentionSpectra.Numerics;
using AttentionSpectra.Models;
using Microsoft.ML.OnnxRuntime.Tensors;
using System.Text.Json.Serialization;
using AttentionSpectra.Sharding;

namespace AttentionSpectra.Models;

/// <summary>Model file format (Auto = detected from the first bytes).</summary>
public enum ModelFormat
{
    /// <summary>ONNX when the file parses as an ONNX model, safetensors when it starts with a safetensors header.</summary>
    Auto,
    /// <summary>An ONNX model (protobuf).</summary>
    Onnx,
    /// <summary>A safetensors file of a BERT- or ViT-style encoder.</summary>
    Safetensors,
}

/// <summary>What to audit and on which inputs.</summary>
/// <param name="ModelPath">ONNX or safetensors file.</param>
/// <param name="Format">Auto-detected from the file's bytes unless given.</param>
/// <param name="InputFiles">Images (PNG/JPEG; image models) or text files of whitespace/comma separated token ids (text models).</param>
/// <param name="Texts">Texts, each rendered to an image (OCR-style image models).</param>
/// <param name="RandomInputs">Number of seeded random inputs (Gaussian images or uniform token ids).</param>
/// <param name="InputShape">Concrete input shape for ONNX image inputs (e.g. 1,3,48,320); default from the model.</param>
/// <param name="Normalisation">Image normalisation (default mean = std = 0.5).</param>
/// <param name="Tokens">Sequence length of random token-id inputs.</param>
/// <param name="Layers">Attention blocks to audit (null = all); indices must exist in the model.</param>
/// <param name="Heads">Heads to audit in each block (null = all); indices must exist in the model.</param>
/// <param name="NumHeads">Heads per block of a safetensors model (default from config.json).</param>
/// <param name="Options">Per-head audit options and conventions.</param>
/// <param name="Tokenizer">Tokenizer file of a text model (vocab.txt, tokenizer.json, ...); default: one found next
/// to the model, or the built-in model's own.</param>
public sealed record AuditRequest(
    string ModelPath, ModelFormat Format = ModelFormat.Auto,
    IReadOnlyList<string>? InputFiles = null, IReadOnlyList<string>? Texts = null, int RandomInputs = 0,
    int[]? InputShape = null, ImageNormalisation? Normalisation = null, int Tokens = 32,
    ISet<int>? Layers = null, ISet<int>? Heads = null, int? NumHeads = null, AuditOptions? Options = null,
    string? Tokenizer = null)
{
    /// <summary>Keep the captured Q/K/V of every head in <see cref="ModelAuditResult.Captured"/> (e.g. to export
    /// them with <see cref="TensorExport"/>).</summary>
    public bool KeepTensors { get; init; }

    /// <summary>Skip (with a note) inputs this model cannot take, e.g. rendered texts for a model without an image
    /// input, instead of failing; used when one set of inputs is shared by several models. The run still fails
    /// when no given input fits.</summary>
    public bool SkipIncompatibleInputs { get; init; }
}

/// <summary>Result of auditing a model: per-head metrics, model description and notes.</summary>
/// <param name="Model">File name of the model.</param>
/// <param name="Kind">Loader kind (onnx, safetensors-bert, safetensors-vit).</param>
/// <param name="LayerCount">Attention blocks in the model.</param>
/// <param name="HeadsPerLayer">Heads per block as the model defines them (the largest, when blocks differ).</param>
/// <param name="Heads">Per head-input results.</param>
/// <param name="Notes">Notes of the loader and of the audit.</param>
public sealed record ModelAuditResult(string Model, string Kind, int LayerCount, int HeadsPerLayer,
    List<HeadAuditResult> Heads, List<string> Notes)
{
    /// <summary>Options (conventions) the heads were audited with.</summary>
    public AuditOptions Options { get; init; } = new();
    /// <summary>The captured heads, when <see cref="AuditRequest.KeepTensors"/> was set.</summary>
    public IReadOnlyList<CapturedHead>? Captured { get; init; }

    /// <summary>The summary of this audit (conventions, metrics, published comparison, null, notes).</summary>
    public AuditSummary Summarise() => ModelAudit.Summarise(Model, Kind, Heads, Notes, Options);
}

/// <summary>One unit of a model audit: the audited heads of one input through one model (see
/// <see cref="AuditRunner.RunSharded"/>).</summary>
/// <param name="Model">Shown name of the model (file name, or the built-in model's name).</param>
/// <param name="ModelFile">File name of the resolved model file (named when no input fits it).</param>
/// <param name="Kind">Loader kind (onnx, safetensors-bert, safetensors-vit).</param>
/// <param name="LayerCount">Attention blocks in the model.</param>
/// <param name="HeadsPerLayer">Heads per block seen on this input (0 when the input was skipped).</param>
/// <param name="Fed">False when the input does not fit the model and was skipped.</param>
/// <param name="FirstHead">Index of this input's first head in the model's list of heads (its random streams).</param>
/// <param name="Heads">Per-head results on this input, in layer and head order.</param>
/// <param name="Notes">Notes of the loader on this input.</param>
public sealed record AuditInputResult(string Model, string ModelFile, string Kind, int LayerCount, int HeadsPerLayer,
    bool Fed, int FirstHead, List<HeadAuditResult> Heads, List<string> Notes)
{
    /// <summary>The captured heads, when <see cref="AuditRequest.KeepTensors"/> was set (never stored).</summary>
    [JsonIgnore]
    public IReadOnlyList<CapturedHead>? Captured { get; init; }
}

/// <summary>Loads a model (ONNX or safetensors), builds the inputs, extracts Q/K/V per layer/head and audits them.</summary>
public static class AuditRunner
{
    /// <summary>Detect the model format from the file's first bytes.</summary>
    public static ModelFormat Detect(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model file not found: {path}", path);
        long size = new FileInfo(path).Length;
        if (size == 0) throw new InvalidDataException($"{path} is empty.");
        var head = new byte[Math.Min(size, 16)];
        using (var fs = File.OpenRead(path)) fs.ReadExactly(head);
        if (head.Length >= 9)
        {
            ulong hlen = BitConverter.ToUInt64(head, 0);
            if (head[8] == (byte)'{' && hlen > 1) return ModelFormat.Safetensors;
        }
        if (head[0] == 0x08) return ModelFormat.Onnx; // ModelProto field 1 (ir_version), varint
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return ModelFormat.Safetensors;
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) return ModelFormat.Onnx;
        throw new InvalidDataException($"{path}: neither an ONNX model nor a safetensors file (unrecognised first bytes).");
    }

    /// <summary>Throw when a requested layer or head index does not exist, naming the model's counts.</summary>
    public static void CheckSelection(ISet<int>? layers, ISet<int>? heads, int layerCount, int? headsPerBlock)
    {
        var badL = layers?.Where(l => l < 0 || l >= layerCount).Order().ToList();
        if (badL is { Count: > 0 })
            throw new ArgumentException($"layer index {string.Join(", ", badL)} out of range: the model has " +
                                        $"{layerCount} attention blocks (valid 0..{layerCount - 1}).", nameof(AuditRequest.Layers));
        if (headsPerBlock is not { } hpb) return;
        var badH = heads?.Where(h => h < 0 || h >= hpb).Order().ToList();
        if (badH is { Count: > 0 })
            throw new ArgumentException($"head index {string.Join(", ", badH)} out of range: the model has {hpb} " +
                                        $"heads per attention block (valid 0..{hpb - 1}).", nameof(AuditRequest.Heads));
    }

    /// <summary>Load the model, build the inputs, extract every selected head and audit it. Input j (files, then
    /// texts, then random inputs) is one unit of the audit; head i of the model's list (inputs in order, then
    /// layers and heads) draws its randomness from <c>rng.Split(2).Split(i)</c>. Every input a model takes yields
    /// the same heads, so input j's first head is (inputs before j that the model takes) × (heads per input), which a
    /// sharded run (<see cref="RunSharded"/>) computes without the other inputs: it gives the same numbers.</summary>
    /// <param name="req">What to audit.</param>
    /// <param name="rng">Master stream (inputs: stream 1, per-head audits: stream 2).</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="cancellationToken">Checked between inputs and heads.</param>
    public static ModelAuditResult Run(AuditRequest req, Rng rng, IProgress<ProgressUpdate>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(req);
        ArgumentNullException.ThrowIfNull(rng);
        using var session = new AuditSession(req);
        var units = new AuditInputResult[session.InputCount];
        int next = 0;
        for (int j = 0; j < units.Length; j++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            units[j] = session.Audit(j, rng, next, progress, cancellationToken);
            next += units[j].Heads.Count;
        }
        return Assemble(req, units);
    }

    /// <summary>Number of inputs (units) of an audit of <paramref name="req"/>: its input files, texts and random
    /// inputs, or 1 (one seeded random input) when none is given.</summary>
    /// <param name="req">The request.</param>
    public static int InputCount(AuditRequest req)
    {
        ArgumentNullException.ThrowIfNull(req);
        int given = (req.InputFiles?.Count ?? 0) + (req.Texts?.Count ?? 0) + req.RandomInputs;
        return given == 0 ? 1 : given;
    }

    /// <summary>Audit several models on the same kind of inputs under a <see cref="ShardMode"/>. The units are
    /// model × input: unit <c>offset(m) + j</c> is input j of model m (offset(m) = the inputs of the models before
    /// it), computed exactly as <see cref="Run"/> computes it (the merge checks that every input's heads start where
    /// the inputs before it end). Units run one after the other (each extraction and
    /// per-head audit is parallel itself; one model is loaded at a time). A shard that only stores its units returns
    /// null; a single-process run and a merge return the same results, bit for bit.</summary>
    /// <param name="requests">One request per model.</param>
    /// <param name="rng">Master stream (the same for every model, as <see cref="Run"/> with it).</param>
    /// <param name="mode">In process, one shard, or merge.</param>
    /// <param name="plan">The job's plan (model × input units); null for an unnamed in-process job.</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="cancellationToken">Checked between units and heads.</param>
    /// <exception cref="ArgumentException">A request keeps tensors (they are not stored per unit), or the plan's
    /// unit count differs from the requests'.</exception>
    public static ModelAuditResult[]? RunSharded(IReadOnlyList<AuditRequest> requests, Rng rng, ShardMode mode,
        ShardPlan? plan, IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(mode);
        if (requests.Count == 0) throw new ArgumentException("At least one model is needed.", nameof(requests));
        if (requests.Any(r => r.KeepTensors))
            throw new ArgumentException("A sharded audit cannot keep tensors (they are not stored per unit).",
                nameof(requests));
        var offsets = new int[requests.Count + 1];
        for (int m = 0; m < requests.Count; m++) offsets[m + 1] = offsets[m] + InputCount(requests[m]);
        int total = offsets[^1];
        plan ??= new ShardPlan("kpca audit", [], total, "model × input");
        if (plan.TotalUnits != total)
            throw new ArgumentException($"The plan has {plan.TotalUnits} units, the audit {total}.", nameof(plan));
        var units = ShardedRun.Run(plan, mode, () => new SessionCache(), (u, cache) =>
        {
            int m = Array.FindLastIndex(offsets, o => o <= u);
            return cache.For(m, requests[m]).Audit(u - offsets[m], rng, null, progress, cancellationToken);
        }, 1, progress, "kpca audit units", cancellationToken);
        if (units == null) return null;
        return [.. requests.Select((r, m) => Assemble(r, units[offsets[m]..offsets[m + 1]]))];
    }

    /// <summary>One model open at a time for a worker of <see cref="RunSharded"/>.</summary>
    private sealed class SessionCache : IDisposable
    {
        private int _model = -1;
        private AuditSession? _session;

        internal AuditSession For(int model, AuditRequest req)
        {
            if (_model == model && _session != null) return _session;
            _session?.Dispose();
            _session = null;
            _session = new AuditSession(req);
            _model = model;
            return _session;
        }

        public void Dispose() => _session?.Dispose();
    }

    /// <summary>A model's audit from its units in input order: the heads and notes of every input, the structure
    /// note; fails when no input fits the model or nothing was selected.</summary>
    private static ModelAuditResult Assemble(AuditRequest req, IReadOnlyList<AuditInputResult> units)
    {
        var first = units[0];
        var notes = new List<string>();
        if ((req.InputFiles?.Count ?? 0) + (req.Texts?.Count ?? 0) + req.RandomInputs == 0)
            notes.Add("no inputs given: audited on 1 seeded random input");
        if (!units.Any(x => x.Fed))
            throw new ArgumentException($"None of the given inputs fits {first.ModelFile}.", nameof(req));
        var heads = new List<HeadAuditResult>();
        foreach (var x in units)
        {
            if (x.Fed && x.FirstHead != heads.Count)
                throw new InvalidDataException(
                    $"{first.ModelFile}: the inputs yield different numbers of heads (an input's heads start at " +
                    $"{x.FirstHead}, the inputs before it gave {heads.Count}); audit this model in one process.");
            notes.AddRange(x.Notes);
            heads.AddRange(x.Heads);
        }
        if (heads.Count == 0)
            throw new ArgumentException("No heads selected: Layers and Heads select nothing in this model.",
                nameof(req));
        int hpl = units.Max(x => x.HeadsPerLayer);
        notes.Add(StructureNote(first.LayerCount, hpl, heads.Select(h => (h.Layer, h.Head, h.Input)).ToList()));
        return new ModelAuditResult(first.Model, first.Kind, first.LayerCount, hpl, heads, notes.Distinct().ToList())
        {
            Options = req.Options ?? new AuditOptions(),
            Captured = req.KeepTensors ? [.. units.SelectMany(x => x.Captured ?? [])] : null,
        };
    }

    /// <summary>A loaded model and its inputs; audits one input at a time.</summary>
    private sealed class AuditSession : IDisposable
    {
        private readonly AuditRequest _req;
        private readonly AuditOptions _options;
        private readonly string _shownName;
        private readonly Lazy<TextTokenizer?> _tokenizer;
        private readonly OnnxAttentionExtractor? _onnx;
        private readonly SafeTensorsEncoder? _enc;
        private readonly int _random;

        internal int InputCount { get; }

        internal AuditSession(AuditRequest req)
        {
            if (req.RandomInputs < 0) throw new ArgumentException("RandomInputs must be >= 0.", nameof(req));
            if (req.Tokens < 2) throw new ArgumentException("Tokens must be at least 2.", nameof(req));
            _options = req.Options ?? new AuditOptions();
            _options.Validate();
            _shownName = BuiltinModels.IsBuiltin(req.ModelPath)
                ? req.ModelPath.ToLowerInvariant() : Path.GetFileName(req.ModelPath);
            var (resolvedModel, tokenizerFile) = TextModels.ResolveBuiltin(req.ModelPath, req.Tokenizer);
            _req = req = req with { ModelPath = resolvedModel };
            _tokenizer = new Lazy<TextTokenizer?>(() => TextModels.Load(req.ModelPath, tokenizerFile));
            InputCount = AuditRunner.InputCount(req);
            _random = InputCount - (req.InputFiles?.Count ?? 0) - (req.Texts?.Count ?? 0);
            var fmt = req.Format == ModelFormat.Auto ? Detect(req.ModelPath) : req.Format;
            if (fmt == ModelFormat.Onnx)
            {
                _onnx = new OnnxAttentionExtractor(req.ModelPath);
                try { CheckSelection(req.Layers, null, _onnx.LayerCount, null); }
                catch { _onnx.Dispose(); throw; }
            }
            else
            {
                _enc = new SafeTensorsEncoder(SafeTensorsFile.Open(req.ModelPath), req.NumHeads);
                CheckSelection(req.Layers, req.Heads, _enc.Layers, _enc.Heads);
            }
        }

        /// <summary>Extract and audit every selected head on input <paramref name="j"/>; its first head is head
        /// <paramref name="firstHead"/> of the model's list (null: the inputs before j that fit × the heads of
        /// this one).</summary>
        internal AuditInputResult Audit(int j, Rng rng, int? firstHead, IProgress<ProgressUpdate>? progress,
            CancellationToken cancellationToken)
        {
            var notes = new List<string>();
            var inputRng = rng.Split(1);
            List<CapturedHead>? heads = null;
            int layers, hpl;
            string kind;
            if (_onnx != null)
            {
                kind = "onnx"; layers = _onnx.LayerCount; hpl = 0;
                if (OnnxFeed(_onnx, _req, j, _random, inputRng, _tokenizer, notes) is var (label, feeds))
                {
                    var e = _onnx.Extract(feeds, label, _req.Layers, _req.Heads, progress,
                        cancellationToken: cancellationToken);
                    hpl = e.HeadsPerLayer;
                    CheckSelection(null, _req.Heads, _onnx.LayerCount, e.HeadsPerLayer);
                    heads = [.. e.Heads];
                    notes.AddRange(e.Notes);
                }
            }
            else
            {
                var enc = _enc!;
                kind = enc.Kind == EncoderKind.Bert ? "safetensors-bert" : "safetensors-vit";
                layers = enc.Layers; hpl = enc.Heads;
                if (EncoderInput(enc, j, inputRng, notes) is var (label, ids, img))
                    heads = [.. enc.Extract(label, ids, img, _req.Layers, _req.Heads, progress).Heads];
            }
            int start = heads == null ? 0 : firstHead ?? Enumerable.Range(0, j).Count(Fits) * heads.Count;
            var metrics = heads == null ? []
                : ModelAudit.AuditHeads(heads, rng.Split(2), start, _options, progress, cancellationToken);
            return new AuditInputResult(_shownName, Path.GetFileName(_req.ModelPath), kind, layers, hpl, heads != null,
                start, metrics, notes)
            {
                Captured = _req.KeepTensors ? heads : null,
            };
        }

        /// <summary>True when the model takes input <paramref name="j"/>; false when it is skipped as incompatible
        /// (<see cref="AuditRequest.SkipIncompatibleInputs"/>). Decided from the model's inputs and the input's kind
        /// alone, without building it.</summary>
        private bool Fits(int j) => _onnx != null
            ? OnnxSkipNote(_onnx, _req, j) == null
            : !(_enc!.Kind == EncoderKind.Bert && j >= (_req.InputFiles?.Count ?? 0)
                && j < (_req.InputFiles?.Count ?? 0) + (_req.Texts?.Count ?? 0)
                && _req.SkipIncompatibleInputs && _tokenizer.Value == null);

        /// <summary>Input j of a safetensors encoder (token ids or a CHW image), or null (with a note) when
        /// skipped.</summary>
        private (string Label, int[]? Ids, double[]? Image)? EncoderInput(SafeTensorsEncoder enc, int j, Rng inputRng,
            List<string> notes)
        {
            var norm = _req.Normalisation ?? ImageNormalisation.Half;
            int[] Shape() => [1, enc.Channels, enc.ImageSize, enc.ImageSize];
            var files = _req.InputFiles ?? [];
            var texts = _req.Texts ?? [];
            if (j < files.Count)
            {
                string f = files[j];
                return enc.Kind == EncoderKind.Bert
                    ? (Path.GetFileName(f), ReadTokenIds(f), null)
                    : (Path.GetFileName(f), null, ToChw(OnnxInputs.FromImageFile(f, Shape(), norm)));
            }
            j -= files.Count;
            if (j < texts.Count)
            {
                if (enc.Kind != EncoderKind.Bert)
                    return ($"text-{j}", null, ToChw(OnnxInputs.FromText(texts[j], Shape(), norm)));
                if (!Fits(j + files.Count))
                {
                    notes.Add($"{texts.Count} text input(s) skipped: no tokenizer found for this BERT-style model");
                    return null;
                }
                return ($"text-{j}", TextInputs.TokenIds(_tokenizer.Value, _req.ModelPath, texts[j]), null);
            }
            int r = j - texts.Count;
            var rr = inputRng.Split((ulong)r);
            if (enc.Kind == EncoderKind.Bert)
            {
                int n = Math.Min(_req.Tokens, enc.MaxPositions);
                return ($"random-{r}", TextInputs.RandomIds(_tokenizer.Value, rr, n, enc.VocabSize, notes), null);
            }
            var img = new double[enc.Channels * enc.ImageSize * enc.ImageSize];
            rr.FillGaussian(img, 0, 1);
            return ($"random-{r}", null, img);
        }

        public void Dispose() => _onnx?.Dispose();
    }

    /// <summary>What the model has and what was audited, stated from the captured heads themselves.</summary>
    internal static string StructureNote(int layerCount, int headsPerBlock, IReadOnlyList<CapturedHead> heads) =>
        StructureNote(layerCount, headsPerBlock, heads.Select(h => (h.Layer, h.Head, h.Input)).ToList());

    private static string StructureNote(int layerCount, int headsPerBlock,
        IReadOnlyList<(int Layer, int Head, string Input)> heads)
    {
        var perBlock = heads.GroupBy(h => h.Layer).Select(g => g.Select(h => h.Head).Distinct().Count()).Distinct().Order().ToList();
        int blocks = heads.Select(h => h.Layer).Distinct().Count();
        int inputs = heads.Select(h => h.Input).Distinct().Count();
        string audited = perBlock.Count == 1 ? $"{perBlock[0]}" : string.Join("/", perBlock);
        return $"model: {layerCount} attention blocks, {headsPerBlock} heads per block; audited {blocks} blocks x " +
               $"{audited} heads x {inputs} inputs = {heads.Count} head-inputs";
    }

    private static double[] ToChw(DenseTensor<float> t) => t.Buffer.ToArray().Select(x => (double)x).ToArray();

    /// <summary>Token ids separated by whitespace or commas.</summary>
    public static int[] ReadTokenIds(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Token-id file not found: {path}", path);
        var parts = File.ReadAllText(path).Split([' ', '\n', '\r', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out ids[i])) throw new InvalidDataException($"{path}: '{parts[i]}' is not an integer token id.");
        if (ids.Length < 2) throw new InvalidDataException($"{path}: need at least 2 token ids.");
        return ids;
    }

    internal static IEnumerable<(string, Dictionary<string, Tensor<float>>)> OnnxFeeds(OnnxAttentionExtractor ex, AuditRequest req, int random, Rng rng,
        Lazy<TextTokenizer?> tokenizer, List<string> notes)
    {
        int count = (req.InputFiles?.Count ?? 0) + (req.Texts?.Count ?? 0) + random;
        for (int j = 0; j < count; j++)
            if (OnnxFeed(ex, req, j, random, rng, tokenizer, notes) is { } feed) yield return feed;
    }

    /// <summary>The model's 4-D float image input and its token-id input (a null name when absent).</summary>
    private static ((string Name, string ElemType, long?[] Shape) Image,
        (string Name, string ElemType, long?[] Shape) Ids) OnnxInputKinds(OnnxAttentionExtractor ex)
    {
        static bool Has(string name, string part) => name.Contains(part, StringComparison.OrdinalIgnoreCase);
        return (ex.Inputs.FirstOrDefault(i => i.ElemType is "Float" or "Float16" or "BFloat16" && i.Shape.Length == 4),
            ex.Inputs.FirstOrDefault(i => i.ElemType is "Int64" or "Int32"
                                          && !Has(i.Name, "mask") && !Has(i.Name, "type") && !Has(i.Name, "position")));
    }

    /// <summary>Null when the ONNX model takes input j; otherwise the note saying it is skipped (when
    /// <see cref="AuditRequest.SkipIncompatibleInputs"/>), or an <see cref="ArgumentException"/>.</summary>
    private static string? OnnxSkipNote(OnnxAttentionExtractor ex, AuditRequest req, int j)
    {
        var (image, idsIn) = OnnxInputKinds(ex);
        var files = req.InputFiles ?? [];
        var texts = req.Texts ?? [];
        if (j < files.Count)
        {
            string f = files[j];
            if ((image.Name != null && !f.EndsWith(".txt", StringComparison.OrdinalIgnoreCase)) || idsIn.Name != null)
                return null;
            if (!req.SkipIncompatibleInputs)
                throw new ArgumentException($"Model has no image or token-id input to feed '{f}' into.", nameof(req));
            return $"input {Path.GetFileName(f)} skipped: the model has no image or token-id input for it";
        }
        if (j - files.Count >= texts.Count || image.Name != null || idsIn.Name != null) return null;
        if (!req.SkipIncompatibleInputs)
            throw new ArgumentException(
                "Texts need a 4-D float image input (rendered text) or a token-id input (tokenized text).",
                nameof(req));
        return $"{texts.Count} text input(s) skipped: the model has neither a 4-D float image input nor a token-id "
               + "input";
    }

    /// <summary>The feeds of input j (files, then texts, then <paramref name="random"/> random inputs), or null (with
    /// a note) when the input is skipped as incompatible.</summary>
    private static (string Label, Dictionary<string, Tensor<float>> Feeds)? OnnxFeed(OnnxAttentionExtractor ex,
        AuditRequest req, int j, int random, Rng rng, Lazy<TextTokenizer?> tokenizer, List<string> notes)
    {
        if (OnnxSkipNote(ex, req, j) is { } skipped)
        {
            notes.Add(skipped);
            return null;
        }
        var ins = ex.Inputs;
        var (image, idsIn) = OnnxInputKinds(ex);
        var norm = req.Normalisation ?? ImageNormalisation.Half;
        Dictionary<string, Tensor<float>> Complete(Dictionary<string, Tensor<float>> f, int seqLen)
        {
            foreach (var i in ins)
            {
                if (f.ContainsKey(i.Name)) continue;
                if (i.ElemType is "Int64" or "Int32" && i.Shape.Length == 2)
                {
                    var t = new DenseTensor<float>([1, seqLen]);
                    bool mask = i.Name.Contains("mask", StringComparison.OrdinalIgnoreCase), pos = i.Name.Contains("position", StringComparison.OrdinalIgnoreCase);
                    for (int k = 0; k < seqLen; k++) t[0, k] = mask ? 1 : pos ? k : 0;
                    f[i.Name] = t;
                }
                else if (req.InputShape != null) f[i.Name] = OnnxInputs.Random(rng.Split(99), req.InputShape);
                else throw new ArgumentException($"Cannot build a value for model input '{i.Name}' ({i.ElemType}, rank {i.Shape.Length}); give InputShape for a random tensor.", nameof(req));
            }
            return f;
        }
        int[] ImgShape() => OnnxInputs.ImageShape(image.Shape, req.InputShape, (48, 320));
        var files = req.InputFiles ?? [];
        if (j < files.Count)
        {
            string f = files[j];
            if (image.Name != null && ! f.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
                return (Path.GetFileName(f),
                    Complete(new() { [image.Name] = OnnxInputs.FromImageFile(f, ImgShape(), norm) }, 0));
            var ids = ReadTokenIds(f);
            var t = new DenseTensor<float>([1, ids.Length]);
            for (int k = 0; k < ids.Length; k++) t[0, k] = ids[k];
            return (Path.GetFileName(f), Complete(new() { [idsIn.Name!] = t }, ids.Length));
        }
        j -= files.Count;
        var texts = req.Texts ?? [];
        if (j < texts.Count)
        {
            if (image.Name != null)
                return ($"text-{j}",
                    Complete(new() { [image.Name] = OnnxInputs.FromText(texts[j], ImgShape(), norm) }, 0));
            var ids = TextInputs.TokenIds(tokenizer.Value, req.ModelPath, texts[j]);
            return ($"text-{j}", Complete(new() { [idsIn.Name!] = TextInputs.IdTensor(ids) }, ids.Length));
        }
        int r = j - texts.Count;
        if (r >= random)
            throw new ArgumentOutOfRangeException(nameof(j), $"Input {j + files.Count + texts.Count} does not exist.");
        var rr = rng.Split((ulong)r);
        if (image.Name != null)
            return ($"random-{r}", Complete(new() { [image.Name] = OnnxInputs.Random(rr, ImgShape()) }, 0));
        if (idsIn.Name != null)
        {
            var t = TextInputs.IdTensor(TextInputs.RandomIds(tokenizer.Value, rr, req.Tokens, null, notes));
            return ($"random-{r}", Complete(new() { [idsIn.Name] = t }, req.Tokens));
        }
        var first = ins[0];
        var shape = req.InputShape ?? first.Shape.Select(d => (int)(d ?? 1)).ToArray();
        return ($"random-{r}", Complete(new() { [first.Name] = OnnxInputs.Random(rr, shape) }, 0));
    }
}
