using AttentionSpectra.Studies.KernelPcaAudit;
using AttentionSpectra.Numerics;
using AttentionSpectra.Models;
using Microsoft.ML.OnnxRuntime.Tensors;

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

    /// <summary>Load the model, build the inputs, extract every selected head and audit it.</summary>
    public static ModelAuditResult Run(AuditRequest req, Rng rng, IProgress<ProgressUpdate>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(req);
        ArgumentNullException.ThrowIfNull(rng);
        if (req.RandomInputs < 0) throw new ArgumentException("RandomInputs must be >= 0.", nameof(req));
        if (req.Tokens < 2) throw new ArgumentException("Tokens must be at least 2.", nameof(req));
        var options = req.Options ?? new AuditOptions();
        options.Validate();
        string shownName = BuiltinModels.IsBuiltin(req.ModelPath) ? req.ModelPath.ToLowerInvariant() : Path.GetFileName(req.ModelPath);
        var (resolvedModel, tokenizerFile) = TextModels.ResolveBuiltin(req.ModelPath, req.Tokenizer);
        req = req with { ModelPath = resolvedModel };
        var tokenizer = new Lazy<TextTokenizer?>(() => TextModels.Load(req.ModelPath, tokenizerFile));
        var fmt = req.Format == ModelFormat.Auto ? Detect(req.ModelPath) : req.Format;
        var heads = new List<CapturedHead>();
        var notes = new List<string>();
        string kind; int layers, hpl;
        int nInputs = (req.InputFiles?.Count ?? 0) + (req.Texts?.Count ?? 0) + req.RandomInputs;
        var random = req.RandomInputs == 0 && nInputs == 0 ? 1 : req.RandomInputs;
        if (nInputs == 0) notes.Add("no inputs given: audited on 1 seeded random input");
        var inputRng = rng.Split(1);
        if (fmt == ModelFormat.Onnx)
        {
            using var ex = new OnnxAttentionExtractor(req.ModelPath);
            CheckSelection(req.Layers, null, ex.LayerCount, null);
            hpl = 0;
            int fed = 0;
            foreach (var (label, feeds) in OnnxFeeds(ex, req, random, inputRng, tokenizer, notes))
            {
                fed++;
                cancellationToken.ThrowIfCancellationRequested();
                var e = ex.Extract(feeds, label, req.Layers, req.Heads, progress, cancellationToken: cancellationToken);
                hpl = Math.Max(hpl, e.HeadsPerLayer);
                CheckSelection(null, req.Heads, ex.LayerCount, e.HeadsPerLayer);
                heads.AddRange(e.Heads); notes.AddRange(e.Notes);
            }
            if (fed == 0)
                throw new ArgumentException($"None of the given inputs fits {Path.GetFileName(req.ModelPath)}.", nameof(req));
            kind = "onnx"; layers = ex.LayerCount;
        }
        else
        {
            var enc = new SafeTensorsEncoder(SafeTensorsFile.Open(req.ModelPath), req.NumHeads);
            kind = enc.Kind == EncoderKind.Bert ? "safetensors-bert" : "safetensors-vit";
            layers = enc.Layers; hpl = enc.Heads;
            CheckSelection(req.Layers, req.Heads, layers, hpl);
            var norm = req.Normalisation ?? ImageNormalisation.Half;
            var inputs = new List<(string, int[]?, double[]?)>();
            foreach (var f in req.InputFiles ?? [])
            {
                if (enc.Kind == EncoderKind.Bert) inputs.Add((Path.GetFileName(f), ReadTokenIds(f), null));
                else inputs.Add((Path.GetFileName(f), null, ToChw(OnnxInputs.FromImageFile(f, [1, enc.Channels, enc.ImageSize, enc.ImageSize], norm))));
            }
            var texts = req.Texts ?? [];
            if (texts.Count > 0 && enc.Kind == EncoderKind.Bert && req.SkipIncompatibleInputs && tokenizer.Value == null)
            {
                notes.Add($"{texts.Count} text input(s) skipped: no tokenizer found for this BERT-style model");
                texts = [];
                if (inputs.Count == 0 && random == 0)
                    throw new ArgumentException($"None of the given inputs fits {Path.GetFileName(req.ModelPath)}.", nameof(req));
            }
            for (int i = 0; i < texts.Count && enc.Kind == EncoderKind.Bert; i++)
                inputs.Add(($"text-{i}", TextInputs.TokenIds(tokenizer.Value, req.ModelPath, texts[i]), null));
            for (int i = 0; i < texts.Count && enc.Kind != EncoderKind.Bert; i++)
                inputs.Add(($"text-{i}", null, ToChw(OnnxInputs.FromText(texts[i], [1, enc.Channels, enc.ImageSize, enc.ImageSize], norm))));
            for (int r = 0; r < random; r++)
            {
                var rr = inputRng.Split((ulong)r);
                if (enc.Kind == EncoderKind.Bert)
                {
                    int n = Math.Min(req.Tokens, enc.MaxPositions);
                    inputs.Add(($"random-{r}", TextInputs.RandomIds(tokenizer.Value, rr, n, enc.VocabSize, notes), null));
                }
                else
                {
                    var img = new double[enc.Channels * enc.ImageSize * enc.ImageSize];
                    rr.FillGaussian(img, 0, 1);
                    inputs.Add(($"random-{r}", null, img));
                }
            }
            foreach (var (label, ids, img) in inputs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                heads.AddRange(enc.Extract(label, ids, img, req.Layers, req.Heads, progress).Heads);
            }
        }
        if (heads.Count == 0) throw new ArgumentException("No heads selected: Layers and Heads select nothing in this model.", nameof(req));
        var metrics = ModelAudit.AuditHeads(heads, rng.Split(2), options, progress, cancellationToken);
        notes.Add(StructureNote(layers, hpl, heads));
        return new ModelAuditResult(shownName, kind, layers, hpl, metrics, notes.Distinct().ToList())
        {
            Options = options, Captured = req.KeepTensors ? heads : null,
        };
    }

    /// <summary>What the model has and what was audited, stated from the captured heads themselves.</summary>
    internal static string StructureNote(int layerCount, int headsPerBlock, IReadOnlyList<CapturedHead> heads)
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
        var ins = ex.Inputs;
        var image = ins.FirstOrDefault(i => i.ElemType is "Float" or "Float16" or "BFloat16" && i.Shape.Length == 4);
        var idsIn = ins.FirstOrDefault(i => i.ElemType is "Int64" or "Int32" && !i.Name.Contains("mask", StringComparison.OrdinalIgnoreCase) && !i.Name.Contains("type", StringComparison.OrdinalIgnoreCase) && !i.Name.Contains("position", StringComparison.OrdinalIgnoreCase));
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
        foreach (var f in req.InputFiles ?? [])
        {
            if (image.Name != null && ! f.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
                yield return (Path.GetFileName(f), Complete(new() { [image.Name] = OnnxInputs.FromImageFile(f, ImgShape(), norm) }, 0));
            else if (idsIn.Name != null)
            {
                var ids = ReadTokenIds(f);
                var t = new DenseTensor<float>([1, ids.Length]);
                for (int k = 0; k < ids.Length; k++) t[0, k] = ids[k];
                yield return (Path.GetFileName(f), Complete(new() { [idsIn.Name] = t }, ids.Length));
            }
            else if (req.SkipIncompatibleInputs) notes.Add($"input {Path.GetFileName(f)} skipped: the model has no image or token-id input for it");
            else throw new ArgumentException($"Model has no image or token-id input to feed '{f}' into.", nameof(req));
        }
        var texts = req.Texts ?? [];
        if (texts.Count > 0 && image.Name == null && idsIn.Name == null && req.SkipIncompatibleInputs)
        {
            notes.Add($"{texts.Count} text input(s) skipped: the model has neither a 4-D float image input nor a token-id input");
            texts = [];
        }
        if (texts.Count > 0 && image.Name == null && idsIn.Name == null)
            throw new ArgumentException("Texts need a 4-D float image input (rendered text) or a token-id input (tokenized text).", nameof(req));
        for (int i = 0; i < texts.Count && image.Name == null; i++)
        {
            var ids = TextInputs.TokenIds(tokenizer.Value, req.ModelPath, texts[i]);
            yield return ($"text-{i}", Complete(new() { [idsIn.Name!] = TextInputs.IdTensor(ids) }, ids.Length));
        }
        for (int i = 0; i < texts.Count && image.Name != null; i++)
            yield return ($"text-{i}", Complete(new() { [image.Name!] = OnnxInputs.FromText(texts[i], ImgShape(), norm) }, 0));
        for (int r = 0; r < random; r++)
        {
            var rr = rng.Split((ulong)r);
            if (image.Name != null) yield return ($"random-{r}", Complete(new() { [image.Name] = OnnxInputs.Random(rr, ImgShape()) }, 0));
            else if (idsIn.Name != null)
            {
                var t = TextInputs.IdTensor(TextInputs.RandomIds(tokenizer.Value, rr, req.Tokens, null, notes));
                yield return ($"random-{r}", Complete(new() { [idsIn.Name] = t }, req.Tokens));
            }
            else
            {
                var first = ins[0];
                var shape = req.InputShape ?? first.Shape.Select(d => (int)(d ?? 1)).ToArray();
                yield return ($"random-{r}", Complete(new() { [first.Name] = OnnxInputs.Random(rr, shape) }, 0));
            }
        }
    }
}
