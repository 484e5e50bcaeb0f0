using System.Numerics.Tensors;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.VitTraining;

/// <summary>Architecture of the small vision transformer (timm ViT layout: pre-LayerNorm blocks, GELU MLP, class token,
/// learned position embeddings, classifier on the final-LayerNorm class token).</summary>
/// <param name="ImageSide">Image height = width in pixels.</param>
/// <param name="Channels">Image channels.</param>
/// <param name="PatchSize">Patch side; must divide <paramref name="ImageSide"/>.</param>
/// <param name="Dim">Embedding width C.</param>
/// <param name="Heads">Attention heads per block (must divide C).</param>
/// <param name="Layers">Number of blocks L.</param>
/// <param name="MlpDim">Hidden width of each block's MLP.</param>
/// <param name="Classes">Number of classes.</param>
/// <param name="StandardizeQk">Standardise each query and key (per token and head: zero mean, unit variance, no
/// affine) before the scores, as the reproduction study did for its retrained models.</param>
public sealed record VitConfig(int ImageSide = 8, int Channels = 1, int PatchSize = 2, int Dim = 32, int Heads = 4,
    int Layers = 2, int MlpDim = 64, int Classes = 10, bool StandardizeQk = false)
{
    /// <summary>LayerNorm epsilon (timm's 1e-6, which the audit's safetensors forward pass uses for timm
    /// names).</summary>
    public const double LayerNormEps = 1e-6;

    /// <summary>Epsilon of the query/key standardisation.</summary>
    public const double QkEps = 1e-6;

    /// <summary>Patches per image.</summary>
    public int Patches => (ImageSide / PatchSize) * (ImageSide / PatchSize);

    /// <summary>Tokens per image (class token + patches).</summary>
    public int Tokens => Patches + 1;

    /// <summary>Values per patch (channels × patch²).</summary>
    public int PatchDim => Channels * PatchSize * PatchSize;

    /// <summary>Head width C / heads.</summary>
    public int HeadDim => Dim / Heads;

    /// <summary>Throw <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (ImageSide < 1 || Channels < 1) throw new ArgumentException("ImageSide and Channels must be positive.");
        if (PatchSize < 1 || ImageSide % PatchSize != 0)
            throw new ArgumentException($"PatchSize {PatchSize} must divide the image side {ImageSide}.");
        if (Dim < 1 || Heads < 1 || Dim % Heads != 0)
            throw new ArgumentException($"Heads ({Heads}) must divide Dim ({Dim}).");
        if (Layers < 1 || MlpDim < 1 || Classes < 2)
            throw new ArgumentException("Layers, MlpDim must be >= 1 and Classes >= 2.");
    }
}

/// <summary>One trainable tensor: its timm name and shape, values, gradient and Adam moments.</summary>
public sealed class VitParameter
{
    internal VitParameter(string name, long[] shape, int rows, int cols, bool decay)
    {
        Name = name; Shape = shape; Decay = decay;
        Value = new Matrix(rows, cols); Grad = new Matrix(rows, cols);
        M = new double[rows * cols]; V = new double[rows * cols];
    }

    /// <summary>Tensor name in timm's ViT naming (what the kernel-PCA audit reads).</summary>
    public string Name { get; }

    /// <summary>Tensor shape as exported.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Whether weight decay applies (weight matrices; not biases, norms, embeddings).</summary>
    public bool Decay { get; }

    /// <summary>Values (row-major; vectors are 1 × n).</summary>
    public Matrix Value { get; }

    /// <summary>Gradient of the loss, same layout as <see cref="Value"/>.</summary>
    public Matrix Grad { get; }

    internal double[] M { get; }
    internal double[] V { get; }
}

/// <summary>Queries, keys, values and attention weights of every block and head for one forward pass (the probe).
/// Index order: [layer][image][head].</summary>
/// <param name="Q">N × D queries as they enter the scores (standardised in the standardised variant).</param>
/// <param name="K">N × D keys, likewise.</param>
/// <param name="V">N × D values.</param>
/// <param name="Entropy">Mean over query tokens of the attention entropy −Σ_j a_ij ln a_ij (nats).</param>
public sealed record VitHeadCapture(Matrix Q, Matrix K, Matrix V, double Entropy);

/// <summary>A small vision transformer with a hand-derived backward pass. Linear layers run on the whole batch as
/// (batch × tokens) × width GEMMs through <see cref="Blas.Gemm"/>; activations live in per-batch-size workspaces,
/// so training steps do not allocate.</summary>
public sealed class VitModel
{
    private readonly VitParameter _wp, _bp, _cls, _pos, _normG, _normB, _headW, _headB;
    private readonly BlockParams[] _blocks;
    private readonly Dictionary<int, Workspace> _workspaces = [];

    /// <summary>The architecture.</summary>
    public VitConfig Config { get; }

    /// <summary>All parameters in export order.</summary>
    public IReadOnlyList<VitParameter> Parameters { get; }

    private sealed record BlockParams(VitParameter Ln1G, VitParameter Ln1B, VitParameter Wqkv, VitParameter Bqkv,
        VitParameter Wo, VitParameter Bo, VitParameter Ln2G, VitParameter Ln2B, VitParameter W1, VitParameter B1,
        VitParameter W2, VitParameter B2);

    /// <summary>A model with seeded initial weights: weight matrices N(0, 1/fan_in), biases 0, LayerNorm scales 1,
    /// class token and position embeddings N(0, 0.02²).</summary>
    public VitModel(VitConfig config, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(rng);
        config.Validate();
        Config = config;
        int c = config.Dim, f = config.MlpDim, p = config.PatchSize, n = config.Tokens;
        var ps = new List<VitParameter>();
        VitParameter Add(string name, long[] shape, int rows, int cols, bool decay)
        {
            var prm = new VitParameter(name, shape, rows, cols, decay);
            ps.Add(prm);
            return prm;
        }
        _wp = Add("patch_embed.proj.weight", [c, config.Channels, p, p], c, config.PatchDim, true);
        _bp = Add("patch_embed.proj.bias", [c], 1, c, false);
        _cls = Add("cls_token", [1, 1, c], 1, c, false);
        _pos = Add("pos_embed", [1, n, c], n, c, false);
        _blocks = new BlockParams[config.Layers];
        for (int l = 0; l < config.Layers; l++)
        {
            string b = $"blocks.{l}.";
            _blocks[l] = new BlockParams(
                Add(b + "norm1.weight", [c], 1, c, false), Add(b + "norm1.bias", [c], 1, c, false),
                Add(b + "attn.qkv.weight", [3 * c, c], 3 * c, c, true),
                Add(b + "attn.qkv.bias", [3 * c], 1, 3 * c, false),
                Add(b + "attn.proj.weight", [c, c], c, c, true), Add(b + "attn.proj.bias", [c], 1, c, false),
                Add(b + "norm2.weight", [c], 1, c, false), Add(b + "norm2.bias", [c], 1, c, false),
                Add(b + "mlp.fc1.weight", [f, c], f, c, true), Add(b + "mlp.fc1.bias", [f], 1, f, false),
                Add(b + "mlp.fc2.weight", [c, f], c, f, true), Add(b + "mlp.fc2.bias", [c], 1, c, false));
        }
        _normG = Add("norm.weight", [c], 1, c, false);
        _normB = Add("norm.bias", [c], 1, c, false);
        _headW = Add("head.weight", [config.Classes, c], config.Classes, c, true);
        _headB = Add("head.bias", [config.Classes], 1, config.Classes, false);
        Parameters = ps;
        ulong stream = 0;
        foreach (var prm in ps)
        {
            var r = rng.Split(stream++);
            if (prm.Name.EndsWith("norm1.weight", StringComparison.Ordinal)
                || prm.Name.EndsWith("norm2.weight", StringComparison.Ordinal) || prm.Name == "norm.weight")
                Array.Fill(prm.Value.Data, 1.0);
            else if (prm.Name is "cls_token" or "pos_embed") r.FillGaussian(prm.Value.Data, 0, 0.02);
            else if (prm.Decay) r.FillGaussian(prm.Value.Data, 0, 1 / Math.Sqrt(prm.Value.Cols));
        }
    }

    /// <summary>Number of scalar parameters.</summary>
    public int ParameterCount => Parameters.Sum(p => p.Value.Data.Length);

    /// <summary>Export tensors (timm names and shapes, row-major values) for a safetensors writer.</summary>
    public IEnumerable<(string Name, long[] Shape, double[] Data)> ExportTensors() =>
        Parameters.Select(p => (p.Name, p.Shape.ToArray(), (double[])p.Value.Data.Clone()));

    /// <summary>Cut an image (C × S × S, row-major) into patches in the order the audit's ViT forward pass
    /// uses.</summary>
    private void Patchify(ReadOnlySpan<double> image, Span<double> patchRows)
    {
        int p = Config.PatchSize, s = Config.ImageSide, g = s / p, ch = Config.Channels, pd = Config.PatchDim;
        for (int py = 0; py < g; py++)
            for (int px = 0; px < g; px++)
            {
                var row = patchRows.Slice((py * g + px) * pd, pd);
                for (int c = 0; c < ch; c++)
                    for (int ky = 0; ky < p; ky++)
                        for (int kx = 0; kx < p; kx++)
                            row[(c * p + ky) * p + kx] = image[(c * s + py * p + ky) * s + px * p + kx];
            }
    }

    private Workspace Ws(int batch)
    {
        if (!_workspaces.TryGetValue(batch, out var ws)) _workspaces[batch] = ws = new Workspace(Config, batch);
        return ws;
    }

    /// <summary>Logits (batch × classes) for the images (rows of <paramref name="images"/>, C·S·S values
    /// each).</summary>
    public Matrix Logits(Matrix images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var ws = Forward(images, 0, images.Rows, null);
        return ws.Logits.Clone();
    }

    /// <summary>Fraction of images whose arg-max logit is the label, evaluated in chunks of <paramref
    /// name="chunk"/>.</summary>
    public double Accuracy(Matrix images, int[] labels, int chunk = 128)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        int correct = 0;
        for (int start = 0; start < images.Rows; start += chunk)
        {
            int b = Math.Min(chunk, images.Rows - start);
            var ws = Forward(images, start, b, null);
            for (int i = 0; i < b; i++)
            {
                var row = ws.Logits.RowReadOnly(i);
                if (TensorPrimitives.IndexOfMax(row) == labels[start + i]) correct++;
            }
        }
        return images.Rows == 0 ? 0 : (double)correct / images.Rows;
    }

    /// <summary>Mean cross-entropy of the batch (rows <paramref name="index"/> of <paramref name="images"/>) and its
    /// gradient, written into every parameter's <see cref="VitParameter.Grad"/> (overwritten, not
    /// accumulated).</summary>
    public double LossAndGradient(Matrix images, int[] labels, int[] index)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(index);
        var ws = Forward(images, 0, index.Length, index);
        int b = index.Length, k = Config.Classes;
        double loss = 0;
        var dl = ws.DLogits;
        for (int i = 0; i < b; i++)
        {
            var row = ws.Logits.RowReadOnly(i);
            var d = dl.Row(i);
            double mx = TensorPrimitives.Max(row), z = 0;
            for (int j = 0; j < k; j++) { d[j] = Math.Exp(row[j] - mx); z += d[j]; }
            int y = labels[index[i]];
            loss += -(row[y] - mx - Math.Log(z));
            for (int j = 0; j < k; j++) d[j] = d[j] / z / b;
            d[y] -= 1.0 / b;
        }
        Backward(ws);
        return loss / b;
    }

    /// <summary>Q, K, V and attention entropy of every block and head for the images (used on the probe batch).
    /// Index order [layer][image][head].</summary>
    public VitHeadCapture[][][] Capture(Matrix images)
    {
        ArgumentNullException.ThrowIfNull(images);
        int b = images.Rows, n = Config.Tokens, dh = Config.HeadDim, hh = Config.Heads, c = Config.Dim;
        var ws = Forward(images, 0, b, null);
        var r = new VitHeadCapture[Config.Layers][][];
        for (int l = 0; l < Config.Layers; l++)
        {
            var lw = ws.Layers[l];
            r[l] = new VitHeadCapture[b][];
            for (int im = 0; im < b; im++)
            {
                r[l][im] = new VitHeadCapture[hh];
                for (int h = 0; h < hh; h++)
                {
                    Matrix q = new(n, dh), k = new(n, dh), v = new(n, dh);
                    double ent = 0;
                    for (int i = 0; i < n; i++)
                    {
                        int row = im * n + i;
                        QRow(lw, row, h).CopyTo(q.Row(i));
                        KRow(lw, row, h).CopyTo(k.Row(i));
                        lw.Qkv.RowReadOnly(row).Slice(2 * c + h * dh, dh).CopyTo(v.Row(i));
                        var a = lw.Attn.AsSpan(((im * hh + h) * n + i) * n, n);
                        foreach (var x in a) if (x > 0) ent -= x * Math.Log(x);
                    }
                    r[l][im][h] = new VitHeadCapture(q, k, v, ent / n);
                }
            }
        }
        return r;
    }

    private ReadOnlySpan<double> QRow(LayerWs lw, int row, int h)
    {
        int dh = Config.HeadDim;
        return Config.StandardizeQk ? lw.Qks.RowReadOnly(row).Slice(h * dh, dh) : lw.Qkv.RowReadOnly(row).Slice(h * dh,
            dh);
    }

    private ReadOnlySpan<double> KRow(LayerWs lw, int row, int h)
    {
        int dh = Config.HeadDim, c = Config.Dim;
        return Config.StandardizeQk ? lw.Qks.RowReadOnly(row).Slice(c + h * dh,
            dh) : lw.Qkv.RowReadOnly(row).Slice(c + h * dh, dh);
    }

    // ---------------------------------------------------------------- forward

    private Workspace Forward(Matrix images, int start, int b, int[]? index)
    {
        var cfg = Config;
        if (images.Cols != cfg.Channels * cfg.ImageSide * cfg.ImageSide)
            throw new ArgumentException($"images have {images.Cols} values per row; the model expects "
                                        + $"{cfg.Channels}×{cfg.ImageSide}×{cfg.ImageSide}.", nameof(images));
        var ws = Ws(b);
        int n = cfg.Tokens, np = cfg.Patches, c = cfg.Dim, pd = cfg.PatchDim;
        for (int i = 0; i < b; i++)
        {
            int src = index == null ? start + i : index[i];
            Patchify(images.RowReadOnly(src), ws.PatchRows.Data.AsSpan(i * np * pd, np * pd));
        }
        // patch embedding, class token, positions
        Blas.Gemm(ws.PatchRows, _wp.Value, ws.PatchEmb, transB: true);
        var x = ws.X[0];
        for (int i = 0; i < b; i++)
        {
            TensorPrimitives.Add(_cls.Value.Data, _pos.Value.RowReadOnly(0), x.Row(i * n));
            for (int t = 1; t < n; t++)
            {
                var row = x.Row(i * n + t);
                TensorPrimitives.Add(ws.PatchEmb.RowReadOnly(i * np + t - 1), _bp.Value.Data, row);
                TensorPrimitives.Add(row, _pos.Value.RowReadOnly(t), row);
            }
        }
        for (int l = 0; l < cfg.Layers; l++) BlockForward(_blocks[l], ws.Layers[l], ws.X[l], ws.X[l + 1], b);
        // final LayerNorm on the class tokens, classifier
        var xl = ws.X[cfg.Layers];
        for (int i = 0; i < b; i++) xl.RowReadOnly(i * n).CopyTo(ws.ClsIn.Row(i));
        LayerNormForward(ws.ClsIn, _normG.Value.Data, _normB.Value.Data, ws.ClsHat, ws.ClsRstd, ws.ClsOut);
        Blas.Gemm(ws.ClsOut, _headW.Value, ws.Logits, transB: true);
        AddBias(ws.Logits, _headB.Value.Data);
        return ws;
    }

    private void BlockForward(BlockParams p, LayerWs lw, Matrix x, Matrix xOut, int b)
    {
        var cfg = Config;
        int n = cfg.Tokens, c = cfg.Dim, hh = cfg.Heads, dh = cfg.HeadDim;
        LayerNormForward(x, p.Ln1G.Value.Data, p.Ln1B.Value.Data, lw.Hat1, lw.Rstd1, lw.U1);
        Blas.Gemm(lw.U1, p.Wqkv.Value, lw.Qkv, transB: true);
        AddBias(lw.Qkv, p.Bqkv.Value.Data);
        if (cfg.StandardizeQk)
            for (int r = 0; r < lw.Qkv.Rows; r++)
                for (int s = 0; s < 2 * hh; s++)
                {
                    var src = lw.Qkv.RowReadOnly(r).Slice(s * dh, dh);
                    lw.QkRstd[r * 2 * hh + s] = Standardize(src, lw.Qks.Row(r).Slice(s * dh, dh), VitConfig.QkEps);
                }
        ForEachImage(b, im => AttentionForward(lw, im));
        Blas.Gemm(lw.Ctx, p.Wo.Value, lw.X1, transB: true);
        AddBias(lw.X1, p.Bo.Value.Data);
        TensorPrimitives.Add(lw.X1.Data, x.Data, lw.X1.Data);
        LayerNormForward(lw.X1, p.Ln2G.Value.Data, p.Ln2B.Value.Data, lw.Hat2, lw.Rstd2, lw.U2);
        Blas.Gemm(lw.U2, p.W1.Value, lw.Hpre, transB: true);
        AddBias(lw.Hpre, p.B1.Value.Data);
        var hp = lw.Hpre.Data; var g = lw.G.Data;
        for (int i = 0; i < hp.Length; i++) g[i] = Gelu(hp[i]);
        Blas.Gemm(lw.G, p.W2.Value, xOut, transB: true);
        AddBias(xOut, p.B2.Value.Data);
        TensorPrimitives.Add(xOut.Data, lw.X1.Data, xOut.Data);
    }

    // ---------------------------------------------------------------- backward

    private void Backward(Workspace ws)
    {
        var cfg = Config;
        int b = ws.Batch, n = cfg.Tokens, np = cfg.Patches;
        // classifier and final LayerNorm
        Blas.Gemm(ws.DLogits, ws.ClsOut, _headW.Grad, transA: true);
        ColumnSums(ws.DLogits, _headB.Grad.Data);
        Blas.Gemm(ws.DLogits, _headW.Value, ws.DClsOut);
        LayerNormBackward(ws.DClsOut, ws.ClsHat, ws.ClsRstd, _normG.Value.Data, _normG.Grad.Data, _normB.Grad.Data,
            ws.DClsIn);
        var dx = ws.DX;
        dx.Data.AsSpan().Clear();
        for (int i = 0; i < b; i++) ws.DClsIn.RowReadOnly(i).CopyTo(dx.Row(i * n));
        for (int l = cfg.Layers - 1; l >= 0; l--) BlockBackward(_blocks[l], ws.Layers[l], ws, b);
        // embeddings
        _cls.Grad.Data.AsSpan().Clear();
        _pos.Grad.Data.AsSpan().Clear();
        for (int i = 0; i < b; i++)
        {
            TensorPrimitives.Add(_cls.Grad.Data, dx.RowReadOnly(i * n), _cls.Grad.Data);
            for (int t = 0; t < n; t++) TensorPrimitives.Add(_pos.Grad.RowReadOnly(t), dx.RowReadOnly(i * n + t),
                _pos.Grad.Row(t));
            for (int t = 1; t < n; t++) dx.RowReadOnly(i * n + t).CopyTo(ws.DPatchEmb.Row(i * np + t - 1));
        }
        Blas.Gemm(ws.DPatchEmb, ws.PatchRows, _wp.Grad, transA: true);
        ColumnSums(ws.DPatchEmb, _bp.Grad.Data);
    }

    /// <summary>On entry ws.DX holds dLoss/d(block output); on exit dLoss/d(block input).</summary>
    private void BlockBackward(BlockParams p, LayerWs lw, Workspace ws, int b)
    {
        var cfg = Config;
        int n = cfg.Tokens, c = cfg.Dim, hh = cfg.Heads, dh = cfg.HeadDim;
        var dx = ws.DX;
        // MLP: xOut = X1 + G W2' + b2
        Blas.Gemm(dx, lw.G, p.W2.Grad, transA: true);
        ColumnSums(dx, p.B2.Grad.Data);
        Blas.Gemm(dx, p.W2.Value, ws.DH);
        var dh_ = ws.DH.Data; var hp = lw.Hpre.Data;
        for (int i = 0; i < dh_.Length; i++) dh_[i] *= GeluDerivative(hp[i]);
        Blas.Gemm(ws.DH, lw.U2, p.W1.Grad, transA: true);
        ColumnSums(ws.DH, p.B1.Grad.Data);
        Blas.Gemm(ws.DH, p.W1.Value, ws.DU);
        LayerNormBackward(ws.DU, lw.Hat2, lw.Rstd2, p.Ln2G.Value.Data, p.Ln2G.Grad.Data, p.Ln2B.Grad.Data, ws.DTmp);
        TensorPrimitives.Add(dx.Data, ws.DTmp.Data, dx.Data); // dX1
        // attention output projection: X1 = x + Ctx Wo' + bo
        Blas.Gemm(dx, lw.Ctx, p.Wo.Grad, transA: true);
        ColumnSums(dx, p.Bo.Grad.Data);
        Blas.Gemm(dx, p.Wo.Value, ws.DCtx);
        // attention per image and head
        var dqkv = ws.DQkv;
        dqkv.Data.AsSpan().Clear();
        var dqk = cfg.StandardizeQk ? ws.DQks : dqkv;
        if (cfg.StandardizeQk) dqk.Data.AsSpan().Clear();
        ForEachImage(b, im => AttentionBackward(lw, ws.DCtx, dqkv, dqk, im));
        if (cfg.StandardizeQk)
            for (int r = 0; r < dqkv.Rows; r++)
                for (int s = 0; s < 2 * hh; s++)
                    StandardizeBackward(dqk.RowReadOnly(r).Slice(s * dh, dh), lw.Qks.RowReadOnly(r).Slice(s * dh, dh),
                        lw.QkRstd[r * 2 * hh + s], dqkv.Row(r).Slice(s * dh, dh));
        Blas.Gemm(dqkv, lw.U1, p.Wqkv.Grad, transA: true);
        ColumnSums(dqkv, p.Bqkv.Grad.Data);
        Blas.Gemm(dqkv, p.Wqkv.Value, ws.DU);
        LayerNormBackward(ws.DU, lw.Hat1, lw.Rstd1, p.Ln1G.Value.Data, p.Ln1G.Grad.Data, p.Ln1B.Grad.Data, ws.DTmp);
        TensorPrimitives.Add(dx.Data, ws.DTmp.Data, dx.Data);
    }

    /// <summary>Softmax attention of every head of image <paramref name="im"/>: fills Attn and Ctx.</summary>
    private void AttentionForward(LayerWs lw, int im)
    {
        int n = Config.Tokens, c = Config.Dim, hh = Config.Heads, dh = Config.HeadDim;
        double scale = 1 / Math.Sqrt(dh);
        for (int h = 0; h < hh; h++)
        {
            var attn = lw.Attn.AsSpan((im * hh + h) * n * n, n * n);
            for (int i = 0; i < n; i++)
            {
                var qi = QRow(lw, im * n + i, h);
                var a = attn.Slice(i * n, n);
                for (int j = 0; j < n; j++) a[j] = scale * TensorPrimitives.Dot(qi, KRow(lw, im * n + j, h));
                double mx = TensorPrimitives.Max<double>(a);
                TensorPrimitives.Subtract(a, mx, a);
                TensorPrimitives.Exp(a, a);
                TensorPrimitives.Divide(a, TensorPrimitives.Sum<double>(a), a);
                var o = lw.Ctx.Row(im * n + i).Slice(h * dh, dh);
                o.Clear();
                for (int j = 0; j < n; j++)
                    TensorPrimitives.MultiplyAdd(lw.Qkv.RowReadOnly(im * n + j).Slice(2 * c + h * dh, dh), a[j], o, o);
            }
        }
    }

    /// <summary>Runs <paramref name="body"/> for every image, on all cores for larger batches (images write disjoint
    /// rows).</summary>
    private static void ForEachImage(int b, Action<int> body)
    {
        if (b >= 8 && Environment.ProcessorCount > 1) Parallel.For(0, b, body);
        else for (int im = 0; im < b; im++) body(im);
    }

    /// <summary>Gradients of image <paramref name="im"/>'s attention: dV into <paramref name="dqkv"/>, dQ and dK into
    /// <paramref name="dqk"/> (the standardised copies in the standardised variant).</summary>
    private void AttentionBackward(LayerWs lw, Matrix dCtx, Matrix dqkv, Matrix dqk, int im)
    {
        int n = Config.Tokens, c = Config.Dim, hh = Config.Heads, dh = Config.HeadDim;
        double scale = 1 / Math.Sqrt(dh);
        Span<double> da = n <= 256 ? stackalloc double[n] : new double[n];
        for (int h = 0; h < hh; h++)
        {
            var attn = lw.Attn.AsSpan((im * hh + h) * n * n, n * n);
            for (int i = 0; i < n; i++)
            {
                var a = attn.Slice(i * n, n);
                var dO = dCtx.RowReadOnly(im * n + i).Slice(h * dh, dh);
                for (int j = 0; j < n; j++)
                {
                    var vj = lw.Qkv.RowReadOnly(im * n + j).Slice(2 * c + h * dh, dh);
                    da[j] = TensorPrimitives.Dot(dO, vj);
                    var dvj = dqkv.Row(im * n + j).Slice(2 * c + h * dh, dh);
                    TensorPrimitives.MultiplyAdd(dO, a[j], dvj, dvj);
                }
                double s = TensorPrimitives.Dot<double>(a, da);
                var dqi = dqk.Row(im * n + i).Slice(h * dh, dh);
                var qi = QRow(lw, im * n + i, h);
                for (int j = 0; j < n; j++)
                {
                    double ds = a[j] * (da[j] - s) * scale;
                    if (ds == 0) continue;
                    TensorPrimitives.MultiplyAdd(KRow(lw, im * n + j, h), ds, dqi, dqi);
                    var dkj = dqk.Row(im * n + j).Slice(c + h * dh, dh);
                    TensorPrimitives.MultiplyAdd(qi, ds, dkj, dkj);
                }
            }
        }
    }

    // ---------------------------------------------------------------- kernels

    private static void AddBias(Matrix m, double[] bias)
    {
        for (int i = 0; i < m.Rows; i++) TensorPrimitives.Add(m.RowReadOnly(i), bias, m.Row(i));
    }

    private static void ColumnSums(Matrix m, double[] sums)
    {
        Array.Clear(sums);
        for (int i = 0; i < m.Rows; i++) TensorPrimitives.Add(sums, m.RowReadOnly(i), sums);
    }

    /// <summary>y = (x − mean) / sqrt(var + eps); returns 1/sqrt(var + eps).</summary>
    private static double Standardize(ReadOnlySpan<double> x, Span<double> y, double eps)
    {
        double mean = TensorPrimitives.Sum(x) / x.Length;
        TensorPrimitives.Subtract(x, mean, y);
        double rstd = 1 / Math.Sqrt(TensorPrimitives.SumOfSquares<double>(y) / x.Length + eps);
        TensorPrimitives.Multiply(y, rstd, y);
        return rstd;
    }

    /// <summary>dx = rstd (dy − mean(dy) − y mean(dy ⊙ y)) for y = Standardize(x).</summary>
    private static void StandardizeBackward(ReadOnlySpan<double> dy, ReadOnlySpan<double> y, double rstd,
        Span<double> dx)
    {
        int d = dy.Length;
        double mdy = TensorPrimitives.Sum(dy) / d, mdyy = TensorPrimitives.Dot(dy, y) / d;
        for (int k = 0; k < d; k++) dx[k] = rstd * (dy[k] - mdy - y[k] * mdyy);
    }

    private static void LayerNormForward(Matrix x, double[] g, double[] b, Matrix hat, double[] rstd, Matrix y)
    {
        for (int i = 0; i < x.Rows; i++)
        {
            var h = hat.Row(i);
            rstd[i] = Standardize(x.RowReadOnly(i), h, VitConfig.LayerNormEps);
            var o = y.Row(i);
            TensorPrimitives.Multiply(h, g, o);
            TensorPrimitives.Add(o, b, o);
        }
    }

    /// <summary>Gradients of y = g ⊙ hat + b: dg, db (overwritten) and dx.</summary>
    private static void LayerNormBackward(Matrix dy, Matrix hat, double[] rstd, double[] g, double[] dg, double[] db,
        Matrix dx)
    {
        Array.Clear(dg); Array.Clear(db);
        for (int i = 0; i < dy.Rows; i++)
        {
            var dyi = dy.RowReadOnly(i); var hi = hat.RowReadOnly(i);
            TensorPrimitives.MultiplyAdd(dyi, hi, dg, dg);
            TensorPrimitives.Add(db, dyi, db);
            var dxi = dx.Row(i);
            TensorPrimitives.Multiply(dyi, g, dxi);
            StandardizeBackward(dxi, hi, rstd[i], dxi);
        }
    }

    /// <summary>GELU x Φ(x) with the same erf approximation as the audit's safetensors forward pass, so an exported
    /// model reproduces the trainer exactly.</summary>
    internal static double Gelu(double x) => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));

    /// <summary>Exact derivative of <see cref="Gelu"/> (including that of the erf approximation).</summary>
    internal static double GeluDerivative(double x)
    {
        double u = x / Math.Sqrt(2);
        return 0.5 * (1 + Erf(u)) + 0.5 * x * ErfDerivative(u) / Math.Sqrt(2);
    }

    private static readonly double[] ErfCoefficients =
        [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223,
         0.17087277];

    /// <summary>erf with |error| below 1.2e-7 (Numerical Recipes erfc Chebyshev fit), as in the audit.</summary>
    internal static double Erf(double x)
    {
        double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
        double poly = 0;
        for (int k = ErfCoefficients.Length - 1; k >= 0; k--) poly = ErfCoefficients[k] + t * poly;
        double r = t * Math.Exp(-z * z + poly);
        return x >= 0 ? 1 - r : r - 1;
    }

    /// <summary>d/dx of <see cref="Erf"/>: with r(z) = t exp(−z² + P(t)), t = 1/(1 + z/2), erf'(x) =
    /// −r'(|x|).</summary>
    internal static double ErfDerivative(double x)
    {
        double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
        double poly = 0, dpoly = 0;
        for (int k = ErfCoefficients.Length - 1; k >= 0; k--) { dpoly = poly + t * dpoly; poly = ErfCoefficients[k]
            + t * poly; }
        double e = Math.Exp(-z * z + poly), dt = -0.5 * t * t;
        double dr = dt * e + t * e * (-2 * z + dpoly * dt);
        return -dr;
    }

    // ---------------------------------------------------------------- workspaces

    private sealed class LayerWs
    {
        public LayerWs(VitConfig cfg, int b)
        {
            int rows = b * cfg.Tokens, c = cfg.Dim;
            Hat1 = new(rows, c); U1 = new(rows, c); Rstd1 = new double[rows];
            Qkv = new(rows, 3 * c); Qks = new(cfg.StandardizeQk ? rows : 1, 2 * c);
            QkRstd = new double[cfg.StandardizeQk ? rows * 2 * cfg.Heads : 1];
            Attn = new double[b * cfg.Heads * cfg.Tokens * cfg.Tokens];
            Ctx = new(rows, c); X1 = new(rows, c); Hat2 = new(rows, c); U2 = new(rows, c); Rstd2 = new double[rows];
            Hpre = new(rows, cfg.MlpDim); G = new(rows, cfg.MlpDim);
        }
        public Matrix Hat1, U1, Qkv, Qks, Ctx, X1, Hat2, U2, Hpre, G;
        public double[] Rstd1, Rstd2, QkRstd, Attn;
    }

    private sealed class Workspace
    {
        public Workspace(VitConfig cfg, int b)
        {
            Batch = b;
            int rows = b * cfg.Tokens, c = cfg.Dim;
            PatchRows = new(b * cfg.Patches, cfg.PatchDim); PatchEmb = new(b * cfg.Patches, c);
            X = new Matrix[cfg.Layers + 1];
            for (int l = 0; l <= cfg.Layers; l++) X[l] = new(rows, c);
            Layers = new LayerWs[cfg.Layers];
            for (int l = 0; l < cfg.Layers; l++) Layers[l] = new LayerWs(cfg, b);
            ClsIn = new(b, c); ClsHat = new(b, c); ClsOut = new(b, c); ClsRstd = new double[b];
            Logits = new(b, cfg.Classes); DLogits = new(b, cfg.Classes);
            DClsOut = new(b, c); DClsIn = new(b, c); DX = new(rows, c); DU = new(rows, c); DTmp = new(rows, c);
            DH = new(rows, cfg.MlpDim); DCtx = new(rows, c); DQkv = new(rows, 3 * c);
            DQks = new(cfg.StandardizeQk ? rows : 1, 2 * c); DPatchEmb = new(b * cfg.Patches, c);
        }
        public int Batch;
        public Matrix PatchRows, PatchEmb, ClsIn, ClsHat, ClsOut, Logits, DLogits, DClsOut, DClsIn, DX, DU, DTmp, DH,
            DCtx,
            DQkv, DQks, DPatchEmb;
        public Matrix[] X;
        public LayerWs[] Layers;
        public double[] ClsRstd;
    }
}
