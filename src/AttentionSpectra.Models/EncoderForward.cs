using AttentionSpectra.Studies.KernelPcaAudit;
using System.Numerics.Tensors;
using System.Text.Json;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Models;

/// <summary>Architecture of a transformer encoder stored as safetensors.</summary>
public enum EncoderKind
{
    /// <summary>BERT-style text encoder (Hugging Face BertModel names).</summary>
    Bert,
    /// <summary>Vision transformer (timm or Hugging Face ViTModel/DeiTModel names).</summary>
    Vit,
}

/// <summary>Small, exact encoder forward pass over safetensors weights, returning per-layer, per-head Q, K, V.
/// BERT-style (HF BertModel names, post-LN, GELU-erf, LayerNorm eps 1e-12) and ViT-style: timm names (pre-LN,
/// GELU-erf, LayerNorm eps 1e-6, optional layer-scale) or HF ViTModel/DeiTModel names (same block, eps 1e-12). Heads: --num-heads, else config.json next to the file
/// (num_attention_heads / num_heads), else hidden/64.</summary>
public sealed class SafeTensorsEncoder
{
    /// <summary>The weights.</summary>
    public SafeTensorsFile File { get; }
    /// <summary>BERT-style or ViT-style, recognised from the weight names.</summary>
    public EncoderKind Kind { get; }
    /// <summary>Common prefix of the encoder's weight names (e.g. <c>bert.</c>; empty for none).</summary>
    public string Prefix { get; }
    /// <summary>Number of encoder layers.</summary>
    public int Layers { get; }
    /// <summary>Hidden size (model width).</summary>
    public int Hidden { get; }
    /// <summary>Attention heads per layer.</summary>
    public int Heads { get; }
    /// <summary>LayerNorm epsilon used in the forward pass.</summary>
    public double LayerNormEps { get; }
    /// <summary>ViT: patch size and image side; BERT: vocabulary size and maximum positions.</summary>
    public int PatchSize { get; }
    /// <summary>ViT: image side in pixels (patch grid side x patch size).</summary>
    public int ImageSize { get; }
    /// <summary>ViT: image channels.</summary>
    public int Channels { get; }
    /// <summary>BERT: vocabulary size.</summary>
    public int VocabSize { get; }
    /// <summary>BERT: number of position embeddings (longest input).</summary>
    public int MaxPositions { get; }

    /// <summary>Recognises the architecture of <paramref name="file"/> and reads its geometry; <paramref name="heads"/>
    /// and <paramref name="eps"/> override the number of heads and the LayerNorm epsilon.</summary>
    /// <exception cref="InvalidDataException">Not a recognised encoder, or inconsistent shapes.</exception>
    /// <exception cref="ArgumentException">The number of heads does not divide the hidden size.</exception>
    public SafeTensorsEncoder(SafeTensorsFile file, int? heads = null, double? eps = null)
    {
        File = file;
        string? bertEmb = file.Tensors.Keys.FirstOrDefault(k => k.EndsWith("embeddings.word_embeddings.weight", StringComparison.Ordinal));
        string? vitPatch = file.Tensors.Keys.FirstOrDefault(k => k.EndsWith("patch_embed.proj.weight", StringComparison.Ordinal));
        string? hfPatch = file.Tensors.Keys.FirstOrDefault(k => k.EndsWith("embeddings.patch_embeddings.projection.weight", StringComparison.Ordinal));
        if (vitPatch == null && hfPatch != null)
        {
            _hf = true;
            vitPatch = hfPatch;
        }
        if (bertEmb != null)
        {
            Kind = EncoderKind.Bert;
            Prefix = bertEmb[..^"embeddings.word_embeddings.weight".Length];
            var we = RequireShape(file, bertEmb, 2);
            VocabSize = Dim(file, we, 0); Hidden = Dim(file, we, 1);
            MaxPositions = Dim(file, RequireShape(file, Prefix + "embeddings.position_embeddings.weight", 2), 0);
            Layers = CountLayers(Prefix + "encoder.layer.", ".attention.self.query.weight");
            LayerNormEps = eps ?? 1e-12;
        }
        else if (vitPatch != null)
        {
            Kind = EncoderKind.Vit;
            Prefix = _hf ? vitPatch[..^"embeddings.patch_embeddings.projection.weight".Length] : vitPatch[..^"patch_embed.proj.weight".Length];
            var pw = file.Info(vitPatch);
            if (pw.Shape.Length != 4 || pw.Shape[2] != pw.Shape[3]) throw new InvalidDataException($"{file.Path}: '{vitPatch}' must be [hidden, channels, p, p].");
            Hidden = Dim(file, pw, 0); Channels = Dim(file, pw, 1); PatchSize = Dim(file, pw, 2);
            var pos = file.Info(Prefix + VitName("pos"));
            int extra = (file.Has(Prefix + VitName("cls")) ? 1 : 0) + (file.Has(Prefix + VitName("dist")) ? 1 : 0);
            long patches = pos.Count / Hidden - extra;
            int side = (int)Math.Round(Math.Sqrt(patches));
            if (patches < 1 || (long)side * side != patches) throw new InvalidDataException($"{file.Path}: pos_embed has {patches} patch positions, not a square grid.");
            if ((double)side * PatchSize * side * PatchSize * Channels > Array.MaxLength)
                throw new InvalidDataException($"{file.Path}: implausible geometry: {side}x{side} patches of {PatchSize}x{PatchSize}x{Channels} make an image larger than one array can hold.");
            ImageSize = side * PatchSize;
            Layers = _hf ? CountLayers(Prefix + "encoder.layer.", ".attention.attention.query.weight") : CountLayers(Prefix + "blocks.", ".attn.qkv.weight");
            LayerNormEps = eps ?? (_hf ? 1e-12 : 1e-6);
        }
        else throw new InvalidDataException($"{file.Path}: not a recognised encoder: missing expected weight '*embeddings.word_embeddings.weight' (BERT-style), '*patch_embed.proj.weight' (ViT/timm-style) or '*embeddings.patch_embeddings.projection.weight' (HF ViT).");
        if (Layers == 0) throw new InvalidDataException($"{file.Path}: no encoder layers found (expected '{Prefix}{(Kind == EncoderKind.Bert ? "encoder.layer.0.attention.self.query.weight" : _hf ? "encoder.layer.0.attention.attention.query.weight" : "blocks.0.attn.qkv.weight")}').");
        Heads = heads ?? HeadsFromConfig(file.Path) ?? Math.Max(1, Hidden / 64);
        if (Heads <= 0 || Hidden % Heads != 0) throw new ArgumentException($"Number of heads ({Heads}) must divide the hidden size ({Hidden}); pass --num-heads.");
    }

    private readonly bool _hf;

    private static SafeTensorInfo RequireShape(SafeTensorsFile file, string name, int rank)
    {
        var info = file.Info(name);
        if (info.Shape.Length != rank)
            throw new InvalidDataException($"{file.Path}: '{name}' has shape [{string.Join(",", info.Shape)}]; a {rank}-D tensor was expected.");
        return info;
    }

    /// <summary>Dimension <paramref name="k"/> of a tensor as a positive int (header values are longs).</summary>
    private static int Dim(SafeTensorsFile file, SafeTensorInfo info, int k)
    {
        long v = info.Shape[k];
        if (v < 1 || v > int.MaxValue)
            throw new InvalidDataException($"{file.Path}: '{info.Name}' has dimension {k} = {v} in shape [{string.Join(",", info.Shape)}]; expected a positive size.");
        return (int)v;
    }

    /// <summary>True for Hugging Face ViTModel/DeiTModel names (separate query/key/value), false for timm names.</summary>
    public bool HuggingFaceVit => _hf;

    /// <summary>ViT weight names (without prefix / .weight suffix) in timm or HF convention.</summary>
    private string VitName(string key, int l = 0) => (_hf, key) switch
    {
        (false, "pos") => "pos_embed", (true, "pos") => "embeddings.position_embeddings",
        (false, "cls") => "cls_token", (true, "cls") => "embeddings.cls_token",
        (false, "dist") => "dist_token", (true, "dist") => "embeddings.distillation_token",
        (false, "patch") => "patch_embed.proj", (true, "patch") => "embeddings.patch_embeddings.projection",
        (false, "norm1") => $"blocks.{l}.norm1", (true, "norm1") => $"encoder.layer.{l}.layernorm_before",
        (false, "norm2") => $"blocks.{l}.norm2", (true, "norm2") => $"encoder.layer.{l}.layernorm_after",
        (false, "proj") => $"blocks.{l}.attn.proj", (true, "proj") => $"encoder.layer.{l}.attention.output.dense",
        (false, "fc1") => $"blocks.{l}.mlp.fc1", (true, "fc1") => $"encoder.layer.{l}.intermediate.dense",
        (false, "fc2") => $"blocks.{l}.mlp.fc2", (true, "fc2") => $"encoder.layer.{l}.output.dense",
        (false, "ls1") => $"blocks.{l}.ls1", (true, "ls1") => $"encoder.layer.{l}.layer_scale1",
        (false, "ls2") => $"blocks.{l}.ls2", (true, "ls2") => $"encoder.layer.{l}.layer_scale2",
        _ => throw new ArgumentException(key),
    };

    private int CountLayers(string pre, string post)
    {
        int l = 0;
        while (File.Has(pre + l + post)) l++;
        return l;
    }

    private static int? HeadsFromConfig(string modelPath)
    {
        string cfg = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? ".", "config.json");
        if (!System.IO.File.Exists(cfg)) return null;
        try
        {
            using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(cfg));
            foreach (var key in new[] { "num_attention_heads", "num_heads", "n_head" })
                if (doc.RootElement.TryGetProperty(key, out var v) && v.TryGetInt32(out int h)) return h;
        }
        catch (JsonException) { }
        return null;
    }

    /// <summary>Run the encoder on one input and collect Q, K, V per head for the selected layers.
    /// BERT: <paramref name="tokenIds"/>; ViT: <paramref name="image"/> as [C, H, W] (already normalised).</summary>
    public ExtractedAttention Extract(string label, int[]? tokenIds, double[]? image, ISet<int>? layers = null, ISet<int>? heads = null,
        IProgress<ProgressUpdate>? progress = null)
    {
        var x = Kind == EncoderKind.Bert ? BertEmbed(tokenIds ?? throw new ArgumentException("BERT-style model needs token ids.")) :
            VitEmbed(image ?? throw new ArgumentException("ViT-style model needs an image."));
        var outHeads = new List<CapturedHead>();
        int last = layers == null ? Layers - 1 : layers.Where(l => l < Layers).DefaultIfEmpty(-1).Max();
        if (last < 0) throw new ArgumentException($"None of the requested layers exist; the model has {Layers} layers (0..{Layers - 1}).");
        if (layers != null && layers.Any(l => l < 0 || l >= Layers))
            throw new ArgumentException($"Layer {layers.First(l => l < 0 || l >= Layers)} does not exist; the model has {Layers} layers (valid: 0..{Layers - 1}).");
        if (heads != null && heads.Any(h => h < 0 || h >= Heads))
            throw new ArgumentException($"Head {heads.First(h => h < 0 || h >= Heads)} does not exist; the model has {Heads} heads per layer (valid: 0..{Heads - 1}).");
        for (int l = 0; l <= last; l++)
        {
            int layer = l;
            var ctx = SelfAttention(x, l, (h, qh, kh, vh) =>
            {
                if ((layers == null || layers.Contains(layer)) && (heads == null || heads.Contains(h)))
                    outHeads.Add(new CapturedHead(layer, h, label, qh, kh, vh));
            });
            if (l == last) { progress.Report("forward " + label, l + 1, last + 1); break; }
            x = AfterAttention(x, ctx, l);
            progress.Report("forward " + label, l + 1, last + 1);
        }
        return new ExtractedAttention(Kind == EncoderKind.Bert ? "safetensors-bert" : "safetensors-vit", Layers, Heads, outHeads, []);
    }

    /// <summary>Classifier logits of one image for a ViT-style model with a classification head: every block, the
    /// final LayerNorm (timm <c>norm</c>, HF <c>layernorm</c>) and the linear head (timm <c>head</c>, HF
    /// <c>classifier</c>) on the class token; a distilled model's <c>head_dist</c> on the distillation token is
    /// averaged in, as timm does at inference. The same forward pass as <see cref="Extract"/>.</summary>
    /// <param name="image">The image as [C, H, W], already normalised.</param>
    /// <exception cref="InvalidDataException">The model is BERT-style, has no class token or no head.</exception>
    public double[] ClassifierLogits(double[] image)
    {
        if (Kind != EncoderKind.Vit) throw new InvalidDataException($"{File.Path}: classifier logits need a ViT-style model.");
        if (!File.Has(Prefix + VitName("cls"))) throw new InvalidDataException($"{File.Path}: the model has no class token.");
        string norm = _hf ? "layernorm" : "norm"; // final LayerNorm, under the encoder's prefix
        string? head = new[] { Prefix + "head", "head", Prefix + "classifier", "classifier" }
            .FirstOrDefault(n => File.Has(n + ".weight"));
        if (head == null || !File.Has(Prefix + norm + ".weight"))
            throw new InvalidDataException($"{File.Path}: no classification head ('{Prefix}head.weight' or 'classifier.weight' and '{Prefix}{norm}.weight').");
        var x = VitEmbed(image);
        for (int l = 0; l < Layers; l++) x = AfterAttention(x, SelfAttention(x, l, null), l);
        var z = LayerNorm(x, norm);
        double[] Head(string name, int row)
        {
            var w = File.Matrix(name + ".weight");
            if (w.Cols != Hidden) throw new InvalidDataException($"{File.Path}: '{name}.weight' is {w.Rows}x{w.Cols}; expected {Hidden} inputs.");
            var y = new double[w.Rows];
            for (int o = 0; o < w.Rows; o++) y[o] = TensorPrimitives.Dot(w.RowReadOnly(o), z.RowReadOnly(row));
            if (File.Has(name + ".bias")) TensorPrimitives.Add(y, File.Vector(name + ".bias", w.Rows), y);
            return y;
        }
        var logits = Head(head, 0);
        string dist = head + "_dist";
        if (File.Has(Prefix + VitName("dist")) && File.Has(dist + ".weight"))
        {
            var d = Head(dist, 1);
            if (d.Length != logits.Length) throw new InvalidDataException($"{File.Path}: '{dist}' and '{head}' differ in classes.");
            TensorPrimitives.Add(logits, d, logits);
            TensorPrimitives.Multiply(logits, 0.5, logits);
        }
        return logits;
    }

    /// <summary>Multi-head self-attention of layer <paramref name="l"/> on the block input <paramref name="x"/>:
    /// returns the heads' concatenated outputs (before the output projection) and passes each head's Q, K, V to
    /// <paramref name="onHead"/>.</summary>
    private Matrix SelfAttention(Matrix x, int l, Action<int, Matrix, Matrix, Matrix>? onHead)
    {
        Matrix q, k, v;
        Matrix attnIn = Kind == EncoderKind.Bert ? x : LayerNorm(x, VitName("norm1", l));
        if (Kind == EncoderKind.Bert)
        {
            string p = $"encoder.layer.{l}.attention.self.";
            q = Linear(attnIn, p + "query"); k = Linear(attnIn, p + "key"); v = Linear(attnIn, p + "value");
        }
        else if (_hf)
        {
            string p = $"encoder.layer.{l}.attention.attention.";
            q = Linear(attnIn, p + "query"); k = Linear(attnIn, p + "key"); v = Linear(attnIn, p + "value");
        }
        else
        {
            var qkv = Linear(attnIn, $"blocks.{l}.attn.qkv");
            if (qkv.Cols != 3 * Hidden) throw new InvalidDataException($"{File.Path}: blocks.{l}.attn.qkv has {qkv.Cols} outputs, expected {3 * Hidden}.");
            q = Cols(qkv, 0, Hidden); k = Cols(qkv, Hidden, Hidden); v = Cols(qkv, 2 * Hidden, Hidden);
        }
        int dh = Hidden / Heads;
        var ctx = new Matrix(x.Rows, Hidden);
        for (int h = 0; h < Heads; h++)
        {
            var qh = Cols(q, h * dh, dh); var kh = Cols(k, h * dh, dh); var vh = Cols(v, h * dh, dh);
            var oh = Blas.Multiply(KernelPca.AttentionWeights(qh, kh), vh);
            for (int i = 0; i < x.Rows; i++) oh.RowReadOnly(i).CopyTo(ctx.Row(i).Slice(h * dh, dh));
            onHead?.Invoke(h, qh, kh, vh);
        }
        return ctx;
    }

    /// <summary>The rest of block <paramref name="l"/> after self-attention: output projection, residuals, MLP and
    /// the LayerNorms of the architecture (post-LN for BERT, pre-LN with optional layer-scale for ViT).</summary>
    private Matrix AfterAttention(Matrix x, Matrix ctx, int l)
    {
        if (Kind == EncoderKind.Bert)
        {
            string p = $"encoder.layer.{l}.";
            var a = Linear(ctx, p + "attention.output.dense");
            x = LayerNorm(a + x, p + "attention.output.LayerNorm");
            var inter = Linear(x, p + "intermediate.dense");
            Gelu(inter);
            return LayerNorm(Linear(inter, p + "output.dense") + x, p + "output.LayerNorm");
        }
        var att = Linear(ctx, VitName("proj", l));
        LayerScale(att, VitName("ls1", l));
        x = x + att;
        var hdn = Linear(LayerNorm(x, VitName("norm2", l)), VitName("fc1", l));
        Gelu(hdn);
        var m = Linear(hdn, VitName("fc2", l));
        LayerScale(m, VitName("ls2", l));
        return x + m;
    }

    private Matrix BertEmbed(int[] ids)
    {
        if (ids.Length < 2) throw new ArgumentException("Need at least 2 tokens.");
        if (ids.Length > MaxPositions) throw new ArgumentException($"{ids.Length} tokens exceed the model's {MaxPositions} positions.");
        foreach (var id in ids) if (id < 0 || id >= VocabSize) throw new ArgumentException($"Token id {id} is outside the vocabulary [0, {VocabSize}).");
        var we = File.Matrix(Prefix + "embeddings.word_embeddings.weight");
        var pe = File.Matrix(Prefix + "embeddings.position_embeddings.weight");
        string tt = Prefix + "embeddings.token_type_embeddings.weight";
        var te = File.Has(tt) ? File.Matrix(tt) : null;
        var x = new Matrix(ids.Length, Hidden);
        for (int i = 0; i < ids.Length; i++)
        {
            var row = x.Row(i);
            TensorPrimitives.Add(we.RowReadOnly(ids[i]), pe.RowReadOnly(i), row);
            if (te != null) TensorPrimitives.Add(row, te.RowReadOnly(0), row);
        }
        return LayerNorm(x, "embeddings.LayerNorm");
    }

    private Matrix VitEmbed(double[] image)
    {
        int p = PatchSize, s = ImageSize, g = s / p;
        if (image.Length != Channels * s * s) throw new ArgumentException($"Image has {image.Length} values; the model expects {Channels} x {s} x {s}.");
        var w = File.Matrix(Prefix + VitName("patch") + ".weight"); // hidden x (C p p)
        var b = File.Vector(Prefix + VitName("patch") + ".bias", Hidden);
        int pd = Channels * p * p;
        var patches = new Matrix(g * g, pd);
        for (int py = 0; py < g; py++)
            for (int px = 0; px < g; px++)
            {
                var row = patches.Row(py * g + px);
                for (int c = 0; c < Channels; c++)
                    for (int ky = 0; ky < p; ky++)
                        for (int kx = 0; kx < p; kx++)
                            row[(c * p + ky) * p + kx] = image[(c * s + py * p + ky) * s + px * p + kx];
            }
        var emb = Blas.Multiply(patches, w, false, true);
        for (int i = 0; i < emb.Rows; i++) TensorPrimitives.Add(emb.RowReadOnly(i), b, emb.Row(i));
        var prefixTokens = new List<double[]>();
        if (File.Has(Prefix + VitName("cls"))) prefixTokens.Add(File.Vector(Prefix + VitName("cls"), Hidden));
        if (File.Has(Prefix + VitName("dist"))) prefixTokens.Add(File.Vector(Prefix + VitName("dist"), Hidden));
        var pos = File.Vector(Prefix + VitName("pos"), (prefixTokens.Count + g * g) * Hidden);
        var x = new Matrix(prefixTokens.Count + g * g, Hidden);
        for (int i = 0; i < prefixTokens.Count; i++) prefixTokens[i].CopyTo(x.Row(i));
        for (int i = 0; i < g * g; i++) emb.RowReadOnly(i).CopyTo(x.Row(prefixTokens.Count + i));
        TensorPrimitives.Add(x.Data, pos, x.Data);
        return x;
    }

    private Matrix Linear(Matrix x, string name)
    {
        var w = File.Matrix(Prefix + name + ".weight");
        if (w.Cols != x.Cols) throw new InvalidDataException($"{File.Path}: '{Prefix}{name}.weight' is {w.Rows}x{w.Cols}; input has {x.Cols} features.");
        var y = Blas.Multiply(x, w, false, true);
        if (File.Has(Prefix + name + ".bias"))
        {
            var b = File.Vector(Prefix + name + ".bias", w.Rows);
            for (int i = 0; i < y.Rows; i++) TensorPrimitives.Add(y.RowReadOnly(i), b, y.Row(i));
        }
        return y;
    }

    private Matrix LayerNorm(Matrix x, string name)
    {
        var gamma = File.Vector(Prefix + name + ".weight", Hidden);
        var beta = File.Vector(Prefix + name + ".bias", Hidden);
        var y = new Matrix(x.Rows, x.Cols);
        for (int i = 0; i < x.Rows; i++)
        {
            var r = x.RowReadOnly(i); var o = y.Row(i);
            double mean = TensorPrimitives.Sum(r) / r.Length;
            TensorPrimitives.Subtract(r, mean, o);
            double var = TensorPrimitives.SumOfSquares<double>(o) / r.Length;
            TensorPrimitives.Multiply(o, 1 / Math.Sqrt(var + LayerNormEps), o);
            TensorPrimitives.Multiply(o, gamma, o);
            TensorPrimitives.Add(o, beta, o);
        }
        return y;
    }

    private void LayerScale(Matrix m, string name)
    {
        string key = Prefix + name + (_hf ? ".lambda1" : ".gamma");
        if (!File.Has(key)) return;
        var g = File.Vector(key, Hidden);
        for (int i = 0; i < m.Rows; i++) TensorPrimitives.Multiply(m.RowReadOnly(i), g, m.Row(i));
    }

    /// <summary>Exact GELU x Phi(x) (erf form, as in BERT and timm ViT).</summary>
    internal static void Gelu(Matrix m)
    {
        var d = m.Data;
        for (int i = 0; i < d.Length; i++) d[i] = 0.5 * d[i] * (1 + Erf(d[i] / Math.Sqrt(2)));
    }

    /// <summary>erf with |error| below 1.2e-7 (Numerical Recipes erfc Chebyshev fit).</summary>
    internal static double Erf(double x)
    {
        double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
                   t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - r : r - 1;
    }

    private static Matrix Cols(Matrix m, int start, int count)
    {
        var r = new Matrix(m.Rows, count);
        for (int i = 0; i < m.Rows; i++) m.RowReadOnly(i).Slice(start, count).CopyTo(r.Row(i));
        return r;
    }
}
