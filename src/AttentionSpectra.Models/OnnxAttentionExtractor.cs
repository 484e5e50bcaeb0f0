using AttentionSpectra.Studies.KernelPcaAudit;
using AttentionSpectra.Numerics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AttentionSpectra.Models;

/// <summary>One attention block found in an ONNX graph: the tensors feeding the score MatMul (Q, K^T), the scalar
/// applied to the scores before the softmax, the softmax output and the value tensor.</summary>
internal sealed record OnnxAttentionBlock(int Index, string QName, string KtName, string VName, string AttnName, double ScoreScale, bool HasAdditiveTerm);

/// <summary>Finds self-attention blocks in an ONNX graph by pattern (Softmax whose input is MatMul(Q, K^T), possibly
/// scaled by a constant, possibly plus a mask; V is the other input of the MatMul consuming the softmax output),
/// exposes Q, K^T, V and the attention weights as extra graph outputs, runs OnnxRuntime and reshapes them to
/// per-head N x D matrices.</summary>
public sealed class OnnxAttentionExtractor : IDisposable
{
    private static readonly HashSet<string> PassThrough = ["Cast", "Identity", "Dropout"];
    private readonly OnnxModel _model;
    private readonly InferenceSession _session;
    internal IReadOnlyList<OnnxAttentionBlock> Blocks { get; }
    public string Path { get; }

    /// <summary>Number of attention blocks found.</summary>
    public int LayerCount => Blocks.Count;

    /// <summary>Graph inputs (name, element type, shape with null for symbolic dims).</summary>
    public IReadOnlyList<(string Name, string ElemType, long?[] Shape)> Inputs =>
        _model.Inputs.Select(i => (i.Name, i.ElemType.ToString(), i.Shape)).ToList();

    public OnnxAttentionExtractor(string path)
    {
        Path = path;
        _model = OnnxModel.Load(path);
        if (_model.UsesExternalData)
            throw new InvalidDataException($"{path}: the ONNX model stores weights as external data; re-export it as a single file (e.g. onnx.save(model, path, save_as_external_data=False)) — models up to 2 GB fit.");
        Blocks = FindBlocks(_model);
        if (Blocks.Count == 0)
            throw new InvalidDataException($"{path}: no self-attention found in the ONNX graph (looked for Softmax(MatMul(Q, K^T) [* scale] [+ mask]) followed by MatMul(attention, V)).");
        var names = Blocks.SelectMany(b => new[] { b.QName, b.KtName, b.VName, b.AttnName });
        byte[] bytes = _model.WithExtraOutputs(names);
        using var so = new SessionOptions { IntraOpNumThreads = Math.Max(1, Environment.ProcessorCount), GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        try { _session = new InferenceSession(bytes, so); }
        catch (OnnxRuntimeException e) { throw new InvalidDataException($"{path}: OnnxRuntime could not load the model: {e.Message}", e); }
    }

    internal static List<OnnxAttentionBlock> FindBlocks(OnnxModel m)
    {
        var producer = new Dictionary<string, OnnxNode>();
        var consumers = new Dictionary<string, List<OnnxNode>>();
        foreach (var n in m.Nodes)
        {
            foreach (var o in n.Outputs) producer[o] = n;
            foreach (var i in n.Inputs)
            {
                if (!consumers.TryGetValue(i, out var l)) consumers[i] = l = [];
                l.Add(n);
            }
        }
        var blocks = new List<OnnxAttentionBlock>();
        foreach (var sm in m.Nodes.Where(n => n.OpType == "Softmax" && n.Inputs.Length > 0))
        {
            // backwards: softmax input -> [scale/mask/cast]* -> MatMul(Q, K^T)
            double scale = 1; bool additive = false;
            string cur = sm.Inputs[0];
            OnnxNode? mm = null;
            for (int hop = 0; hop < 6 && producer.TryGetValue(cur, out var p); hop++)
            {
                if (p.OpType == "MatMul") { mm = p; break; }
                if (PassThrough.Contains(p.OpType)) { cur = p.Inputs[0]; continue; }
                if ((p.OpType == "Mul" || p.OpType == "Div") && p.Inputs.Length == 2)
                {
                    double? c1 = m.ScalarConstant(p.Inputs[1]), c0 = m.ScalarConstant(p.Inputs[0]);
                    if (c1 is { } c && c != 0) { scale = p.OpType == "Mul" ? scale * c : scale / c; cur = p.Inputs[0]; continue; }
                    if (p.OpType == "Mul" && c0 is { } d) { scale *= d; cur = p.Inputs[1]; continue; }
                    break;
                }
                if (p.OpType == "Where" && p.Inputs.Length == 3)
                {
                    // masking as Where(cond, scores, fill): follow the branch produced by the score chain
                    additive = true;
                    bool xIsScore = producer.TryGetValue(p.Inputs[1], out var px) && px.OpType is "MatMul" or "Mul" or "Div" or "Add";
                    cur = xIsScore ? p.Inputs[1] : p.Inputs[2];
                    continue;
                }
                if (p.OpType == "Add" && p.Inputs.Length == 2)
                {
                    // one side leads to the MatMul, the other is a mask/bias: follow the side produced by MatMul/Mul/Div
                    additive = true;
                    bool firstIsScore = producer.TryGetValue(p.Inputs[0], out var p0) && p0.OpType is "MatMul" or "Mul" or "Div";
                    cur = firstIsScore ? p.Inputs[0] : p.Inputs[1];
                    continue;
                }
                break;
            }
            if (mm == null || mm.Inputs.Length != 2) continue;
            // forwards: softmax output -> [cast/dropout]* -> MatMul(attn, V)
            string a = sm.Outputs[0];
            OnnxNode? av = null;
            for (int hop = 0; hop < 4 && consumers.TryGetValue(a, out var cs); hop++)
            {
                av = cs.FirstOrDefault(c => c.OpType == "MatMul" && c.Inputs[0] == a);
                if (av != null) break;
                var pt = cs.FirstOrDefault(c => PassThrough.Contains(c.OpType));
                if (pt == null) break;
                a = pt.Outputs[0];
            }
            if (av == null) continue;
            blocks.Add(new OnnxAttentionBlock(blocks.Count, mm.Inputs[0], mm.Inputs[1], av.Inputs[1], sm.Outputs[0], scale, additive));
        }
        return blocks;
    }

    /// <summary>Run the model on one input (batch size 1) and return per-head Q, K, V for the selected layers.</summary>
    /// <param name="feeds">Input tensors by graph-input name.</param>
    /// <param name="label">Input label carried into <see cref="CapturedHead.Input"/>.</param>
    /// <param name="layers">Layer indices to keep (null = all).</param>
    /// <param name="heads">Head indices to keep (null = all).</param>
    public ExtractedAttention Extract(IReadOnlyDictionary<string, Tensor<float>> feeds, string label, ISet<int>? layers = null, ISet<int>? heads = null,
        IProgress<ProgressUpdate>? progress = null)
    {
        foreach (var i in _model.Inputs)
            if (!feeds.ContainsKey(i.Name)) throw new ArgumentException($"No value given for model input '{i.Name}'.");
        var inputs = new List<NamedOnnxValue>();
        foreach (var (name, t) in feeds)
        {
            var info = _model.Inputs.FirstOrDefault(i => i.Name == name) ?? throw new ArgumentException($"Model has no input named '{name}' (inputs: {string.Join(", ", _model.Inputs.Select(i => i.Name))}).");
            if (info.ElemType == OnnxElemType.Int64)
            {
                var lt = new DenseTensor<long>(t.Dimensions);
                var src = (DenseTensor<float>)t;
                for (int k = 0; k < src.Length; k++) lt.Buffer.Span[k] = (long)Math.Round(src.Buffer.Span[k]);
                inputs.Add(NamedOnnxValue.CreateFromTensor(name, lt));
            }
            else if (info.ElemType is OnnxElemType.Float or OnnxElemType.Undefined) inputs.Add(NamedOnnxValue.CreateFromTensor(name, t));
            else throw new ArgumentException($"Model input '{name}' has element type {info.ElemType}; only float32 and int64 inputs are supported.");
        }
        var sel = Blocks.Where(b => layers == null || layers.Contains(b.Index)).ToList();
        if (sel.Count == 0) throw new ArgumentException($"None of the requested layers exist; the model has {Blocks.Count} attention blocks (0..{Blocks.Count - 1}).");
        var outNames = sel.SelectMany(b => new[] { b.QName, b.KtName, b.VName, b.AttnName }).Distinct().ToList();
        Dictionary<string, DenseTensor<float>> res;
        try
        {
            using var results = _session.Run(inputs, outNames);
            res = results.ToDictionary(r => r.Name, r => CopyFloat(r));
        }
        catch (OnnxRuntimeException e) { throw new ArgumentException($"OnnxRuntime failed on input '{label}': {e.Message}", e); }
        var outHeads = new List<CapturedHead>();
        var notes = new List<string>();
        int headsPerLayer = 0;
        for (int bi = 0; bi < sel.Count; bi++)
        {
            var b = sel[bi];
            var q = res[b.QName]; var kt = res[b.KtName]; var v = res[b.VName]; var at = res[b.AttnName];
            var (qh, n, d) = Split(q, $"Q of block {b.Index}");
            var (kth, d2, n2) = Split(kt, $"K^T of block {b.Index}");
            var (vh, n3, dv) = Split(v, $"V of block {b.Index}");
            if (d2 != d || n2 != n || n3 != n || kth != qh || vh != qh)
                throw new InvalidDataException($"Block {b.Index}: unexpected shapes Q [{string.Join(",", q.Dimensions.ToArray())}], K^T [{string.Join(",", kt.Dimensions.ToArray())}], V [{string.Join(",", v.Dimensions.ToArray())}] (batch size must be 1).");
            headsPerLayer = Math.Max(headsPerLayer, qh);
            if (b.HasAdditiveTerm) notes.Add($"block {b.Index}: an additive term or mask (Add/Where) sits between the scores and the softmax; the kernel view ignores it (attn_check_err shows its effect).");
            double qScale = b.ScoreScale * Math.Sqrt(d);
            var qs = q.Buffer.Span; var ks = kt.Buffer.Span; var vs = v.Buffer.Span; var ats = at.Buffer.Span;
            for (int h = 0; h < qh; h++)
            {
                if (heads != null && !heads.Contains(h)) continue;
                var Q = new Matrix(n, d); var K = new Matrix(n, d); var V = new Matrix(n, dv);
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < d; j++)
                    {
                        Q[i, j] = qScale * qs[(h * n + i) * d + j];
                        K[i, j] = ks[(h * d + j) * n + i];
                    }
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < dv; j++) V[i, j] = vs[(h * n + i) * dv + j];
                double err = 0;
                if (at.Length == (long)qh * n * n)
                {
                    var P = KernelPca.AttentionWeights(Q, K);
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j < n; j++) err = Math.Max(err, Math.Abs(P[i, j] - ats[(h * n + i) * n + j]));
                }
                else err = double.NaN;
                outHeads.Add(new CapturedHead(b.Index, h, label, Q, K, V, double.IsNaN(err) ? null : err));
            }
            progress.Report("extract " + label, bi + 1, sel.Count);
        }
        return new ExtractedAttention("onnx", Blocks.Count, headsPerLayer, outHeads, notes.Distinct().ToList());
    }

    private static DenseTensor<float> CopyFloat(DisposableNamedOnnxValue r)
    {
        if (r.Value is DenseTensor<float> f) return new DenseTensor<float>(f.Buffer.ToArray(), f.Dimensions.ToArray());
        if (r.Value is Tensor<float> tf) return new DenseTensor<float>(tf.ToArray(), tf.Dimensions.ToArray());
        if (r.Value is Tensor<double> td) return new DenseTensor<float>(td.ToArray().Select(x => (float)x).ToArray(), td.Dimensions.ToArray());
        throw new InvalidDataException($"Attention tensor '{r.Name}' is not float32/float64 (got {r.Value?.GetType().Name}).");
    }

    /// <summary>[..., heads, rows, cols] with batch 1 -> (heads, rows, cols).</summary>
    private static (int heads, int rows, int cols) Split(DenseTensor<float> t, string what)
    {
        var dims = t.Dimensions;
        if (dims.Length < 2) throw new InvalidDataException($"{what} has rank {dims.Length}; expected [batch, heads, N, D] or [batch*heads, N, D].");
        if (dims.Length >= 4 && dims[0] != 1) throw new InvalidDataException($"{what} has batch size {dims[0]}; the audit runs one input at a time (batch 1). Give --input-shape with batch 1.");
        int rows = dims[^2], cols = dims[^1];
        long lead = 1;
        for (int k = 0; k < dims.Length - 2; k++) lead *= dims[k];
        return ((int)lead, rows, cols);
    }

    public void Dispose() => _session.Dispose();
}
