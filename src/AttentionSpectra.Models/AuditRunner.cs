using AttentionSpectra.Studies.KernelPcaAudit;
using AttentionSpectra.Numerics;
using AttentionSpectra.Models;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AttentionSpectra.Models;

public enum ModelFormat { Auto, Onnx, Safetensors }

/// <summary>What to audit and on which inputs.</summary>
/// <param name="ModelPath">ONNX or safetensors file.</param>
/// <param name="Format">Auto-detected from the file's bytes unless given.</param>
/// <param name="InputFiles">Images (PNG/JPEG; image models) or text files of whitespace/comma separated token ids (text models).</param>
/// <param name="Texts">Texts, each rendered to an image (OCR-style image models).</param>
/// <param name="RandomInputs">Number of seeded random inputs (Gaussian images or uniform token ids).</param>
/// <param name="InputShape">Concrete input shape for ONNX image inputs (e.g. 1,3,48,320); default from the model.</param>
/// <param name="Tokens">Sequence length of random token-id inputs.</param>
public sealed record AuditRequest(
    string ModelPath, ModelFormat Format = ModelFormat.Auto,
    IReadOnlyList<string>? InputFiles = null, IReadOnlyList<string>? Texts = null, int RandomInputs = 0,
    int[]? InputShape = null, ImageNormalisation? Normalisation = null, int Tokens = 32,
    ISet<int>? Layers = null, ISet<int>? Heads = null, int? NumHeads = null, AuditOptions? Options = null);

/// <summary>Result of auditing a model: per-head metrics, model description and notes.</summary>
public sealed record ModelAuditResult(string Model, string Kind, int LayerCount, int HeadsPerLayer, List<HeadMetrics> Heads, List<string> Notes);

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

    public static ModelAuditResult Run(AuditRequest req, Rng rng, IProgress<ProgressUpdate>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(req);
        if (req.RandomInputs < 0) throw new ArgumentException("--random-inputs must be >= 0.");
        if (req.Tokens < 2) throw new ArgumentException("--tokens must be at least 2.");
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
            foreach (var (label, feeds) in OnnxFeeds(ex, req, random, inputRng))
            {
                var e = ex.Extract(feeds, label, req.Layers, req.Heads, progress);
                heads.AddRange(e.Heads); notes.AddRange(e.Notes);
            }
            kind = "onnx"; layers = ex.LayerCount;
            hpl = heads.Count == 0 ? 0 : heads.Max(h => h.Head) + 1;
        }
        else
        {
            var enc = new SafeTensorsEncoder(SafeTensorsFile.Open(req.ModelPath), req.NumHeads);
            kind = enc.Kind == EncoderKind.Bert ? "safetensors-bert" : "safetensors-vit";
            layers = enc.Layers; hpl = enc.Heads;
            var norm = req.Normalisation ?? ImageNormalisation.Half;
            var inputs = new List<(string, int[]?, double[]?)>();
            foreach (var f in req.InputFiles ?? [])
            {
                if (enc.Kind == EncoderKind.Bert) inputs.Add((Path.GetFileName(f), ReadTokenIds(f), null));
                else inputs.Add((Path.GetFileName(f), null, ToChw(OnnxInputs.FromImageFile(f, [1, enc.Channels, enc.ImageSize, enc.ImageSize], norm))));
            }
            var texts = req.Texts ?? [];
            if (texts.Count > 0 && enc.Kind == EncoderKind.Bert) throw new ArgumentException("--text needs a tokenizer, which attnspec does not ship; pass token ids with --inputs ids.txt.");
            for (int i = 0; i < texts.Count; i++)
                inputs.Add(($"text-{i}", null, ToChw(OnnxInputs.FromText(texts[i], [1, enc.Channels, enc.ImageSize, enc.ImageSize], norm))));
            for (int r = 0; r < random; r++)
            {
                var rr = inputRng.Split((ulong)r);
                if (enc.Kind == EncoderKind.Bert)
                {
                    int n = Math.Min(req.Tokens, enc.MaxPositions);
                    inputs.Add(($"random-{r}", Enumerable.Range(0, n).Select(_ => rr.NextInt(enc.VocabSize)).ToArray(), null));
                }
                else
                {
                    var img = new double[enc.Channels * enc.ImageSize * enc.ImageSize];
                    rr.FillGaussian(img, 0, 1);
                    inputs.Add(($"random-{r}", null, img));
                }
            }
            foreach (var (label, ids, img) in inputs)
                heads.AddRange(enc.Extract(label, ids, img, req.Layers, req.Heads, progress).Heads);
        }
        if (heads.Count == 0) throw new ArgumentException("No heads selected (check --layers / --heads against the model).");
        var metrics = ModelAudit.AuditHeads(heads, rng.Split(2), req.Options, progress);
        return new ModelAuditResult(Path.GetFileName(req.ModelPath), kind, layers, hpl, metrics, notes.Distinct().ToList());
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

    private static IEnumerable<(string, Dictionary<string, Tensor<float>>)> OnnxFeeds(OnnxAttentionExtractor ex, AuditRequest req, int random, Rng rng)
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
                else throw new ArgumentException($"Cannot build a value for model input '{i.Name}' ({i.ElemType}, rank {i.Shape.Length}); give --input-shape for a random tensor.");
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
            else throw new ArgumentException($"Model has no image or token-id input to feed '{f}' into.");
        }
        var texts = req.Texts ?? [];
        if (texts.Count > 0 && image.Name == null) throw new ArgumentException("--text renders an image, but the model has no 4-D float image input.");
        for (int i = 0; i < texts.Count; i++)
            yield return ($"text-{i}", Complete(new() { [image.Name!] = OnnxInputs.FromText(texts[i], ImgShape(), norm) }, 0));
        for (int r = 0; r < random; r++)
        {
            var rr = rng.Split((ulong)r);
            if (image.Name != null) yield return ($"random-{r}", Complete(new() { [image.Name] = OnnxInputs.Random(rr, ImgShape()) }, 0));
            else if (idsIn.Name != null)
            {
                var t = new DenseTensor<float>([1, req.Tokens]);
                for (int k = 0; k < req.Tokens; k++) t[0, k] = rr.NextInt(1000);
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
