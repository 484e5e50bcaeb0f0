using AttentionSpectra.Studies.KernelPcaAudit;
using AttentionSpectra.Numerics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AttentionSpectra.Models;

/// <summary>Finds the attention blocks of an ONNX graph (<see cref="OnnxAttentionGraph"/>: score MatMul/Einsum in
/// either orientation → scalar scales, masks and biases in any order → softmax → contraction with V), exposes the
/// tensors they need as extra graph outputs, runs OnnxRuntime and returns per-head queries, keys and values.
/// Queries and keys are the projections before any scaling; the scale is recovered separately and the captured
/// Q, K, scale and additive terms are checked against the model's own pre-softmax logits. Heads failing the check
/// are excluded and named in a note.</summary>
public sealed class OnnxAttentionExtractor : IDisposable
{
    private readonly OnnxModel _model;
    private readonly InferenceSession _session;
    private readonly OnnxAttentionGraph _graph;
    private readonly List<string> _expanded;
    internal IReadOnlyList<OnnxAttentionBlock> Blocks => _graph.Blocks;

    /// <summary>Model file.</summary>
    public string Path { get; }

    /// <summary>Number of attention blocks found.</summary>
    public int LayerCount => Blocks.Count;

    /// <summary>Parts of the graph that are not audited, with the reason (fused ops, unsupported patterns,
    /// subgraphs).</summary>
    public IReadOnlyList<string> Refused => _graph.Refused;

    /// <summary>Graph inputs (name, element type, shape with null for symbolic dims).</summary>
    public IReadOnlyList<(string Name, string ElemType, long?[] Shape)> Inputs =>
        _model.Inputs.Select(i => (i.Name, i.ElemType.ToString(), i.Shape)).ToList();

    /// <summary>Load a model and find its attention blocks.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid ONNX model, or no attention block can be
    /// audited (the message lists what was found and why it was refused).</exception>
    public OnnxAttentionExtractor(string path)
    {
        Path = path;
        _model = OnnxModel.Load(path);
        _expanded = OnnxFusedAttention.Expand(_model);
        _graph = new OnnxAttentionGraph(_model);
        if (Blocks.Count == 0)
            throw new InvalidDataException(
                $"{path}: no self-attention found in the ONNX graph (looked for Softmax over MatMul/Einsum(Q, K) " +
                "scores followed by a MatMul/Einsum with V)" +
                (Refused.Count > 0 ? ": " + string.Join("; ", Refused) : "."));
        _session = CreateSession(_model.WithExtraOutputs(OutputNames(Blocks)), path);
    }

    private InferenceSession CreateSession(byte[] bytes, string path)
    {
        // only the constants the capture reads stay in memory; OnnxRuntime holds its own copy of the weights
        var keep = Blocks.SelectMany(b => b.Chain).SelectMany(s => new[] { s.Other, s.Condition })
            .Concat(Blocks.Select(b => b.WeightsOperand == 0 ? b.Values.Right : b.Values.Left))
            .OfType<string>().ToHashSet();
        _model.ReleaseWeights(keep);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var so = new SessionOptions
        {
            IntraOpNumThreads = Math.Max(1, Environment.ProcessorCount),
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL,
            EnableCpuMemArena = false,
        };
        // idle worker threads sleep instead of spinning: the audit runs its own parallel work right after
        so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        try { return new InferenceSession(bytes, so); }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{path}: OnnxRuntime could not load the model: {e.Message}", e);
        }
    }

    /// <summary>Run the model on one feed (any batch size; each batch element becomes its own input label
    /// "label#b") and return per-head Q, K, V for the selected layers.</summary>
    /// <param name="feeds">Input tensors by graph-input name (converted to the declared element types).</param>
    /// <param name="label">Input label carried into <see cref="CapturedHead.Input"/>.</param>
    /// <param name="layers">Layer indices to keep (null = all).</param>
    /// <param name="heads">Head indices to keep (null = all).</param>
    /// <param name="progress">Progress per block.</param>
    /// <param name="includeCrossAttention">Also return blocks whose key length differs from the query length
    /// (cross-attention); by default they are skipped and listed in a note.</param>
    /// <param name="cancellationToken">Checked between blocks.</param>
    public ExtractedAttention Extract(IReadOnlyDictionary<string, Tensor<float>> feeds, string label,
        ISet<int>? layers = null, ISet<int>? heads = null, IProgress<ProgressUpdate>? progress = null,
        bool includeCrossAttention = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(feeds);
        foreach (var i in _model.Inputs)
            if (!feeds.ContainsKey(i.Name)) throw new ArgumentException($"No value given for model input '{i.Name}'.");
        var inputs = new List<NamedOnnxValue>();
        int batch = 1;
        foreach (var (name, t) in feeds)
        {
            var info = _model.Inputs.FirstOrDefault(i => i.Name == name) ?? throw new ArgumentException(
                $"Model has no input named '{name}' (inputs: {string.Join(", ", _model.Inputs.Select(i => i.Name))}).");
            inputs.Add(OnnxFeedConversion.ToInput(name, t, info.ElemType));
            if (t.Dimensions.Length >= 2) batch = Math.Max(batch, t.Dimensions[0]);
        }
        var sel = Blocks.Where(b => layers == null || layers.Contains(b.Index)).ToList();
        if (sel.Count == 0)
            throw new ArgumentException(
                $"None of the requested layers exist; the model has {Blocks.Count} attention blocks " +
                $"(0..{Blocks.Count - 1}).");
        CheckMemory(feeds, label, sel, batch);
        var outNames = OutputNames(sel);
        Dictionary<string, HostTensor> res;
        try
        {
            using var results = _session.Run(inputs, outNames);
            res = results.ToDictionary(r => r.Name, HostTensor.From);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ArgumentException($"OnnxRuntime failed on input '{label}': {e.Message}", e);
        }

        var outHeads = new List<CapturedHead>();
        var notes = new List<string>(Refused.Select(r => "not audited: " + r).Concat(_expanded));
        int headsPerLayer = 0, checkedHeads = 0, failedHeads = 0;
        double worst = 0;
        for (int bi = 0; bi < sel.Count; bi++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var b = sel[bi];
            BlockCapture cap;
            try { cap = BlockCapture.Run(b, _model, res, batch); }
            catch (InvalidDataException e)
            {
                notes.Add($"block {b.Index}: not auditable: {e.Message}");
                continue;
            }
            headsPerLayer = Math.Max(headsPerLayer, cap.HeadsPerBatch);
            if (cap.QueryTokens != cap.KeyTokens && !includeCrossAttention)
            {
                notes.Add($"block {b.Index}: cross-attention ({cap.QueryTokens} query vs {cap.KeyTokens} key " +
                          "tokens): skipped");
                continue;
            }
            for (int g = 0; g < cap.Groups; g++)
            {
                int h = g % cap.HeadsPerBatch, bIdx = g / cap.HeadsPerBatch;
                if (heads != null && !heads.Contains(h)) continue;
                string lab = cap.Batch > 1 ? $"{label}#{bIdx}" : label;
                var head = cap.Head(g, b.Index, h, lab);
                checkedHeads++;
                double err = head.LogitError ?? double.NaN;
                if (!(err <= cap.Tolerance))
                {
                    failedHeads++;
                    notes.Add($"block {b.Index} head {h} ({lab}): the captured Q, K and scale do not reproduce the " +
                              $"model's pre-softmax logits (relative error {err:G3} > {cap.Tolerance:G1}); excluded");
                    continue;
                }
                worst = Math.Max(worst, err);
                outHeads.Add(head);
            }
            if (cap.HasAdditiveTerm) notes.Add(BiasNote(b.Index, outHeads.Where(x => x.Layer == b.Index).ToList()));
            progress.Report("extract " + label, bi + 1, sel.Count);
        }
        notes.Add($"logit check: {checkedHeads - failedHeads} of {checkedHeads} captured heads reproduce the model's " +
                  $"pre-softmax logits (max relative error {worst:G2})");
        return new ExtractedAttention("onnx", Blocks.Count, headsPerLayer, outHeads, notes.Distinct().ToList());
    }

    /// <summary>Graph values to read after a run (constants are read from the model instead).</summary>
    private List<string> OutputNames(IEnumerable<OnnxAttentionBlock> blocks) =>
        blocks.SelectMany(b => b.CaptureNames(_model)).Distinct().Where(n => !_model.Initializers.ContainsKey(n))
            .ToList();

    /// <summary>Symbolic input dimensions above this are probed at this size before a full run.</summary>
    private const int ProbeSize = 512;

    /// <summary>Refuse, before running, an input whose attention tensors (captured logits, the audit's N x N
    /// matrices) would not fit in memory. Inputs with large symbolic dimensions are first run cropped to
    /// <see cref="ProbeSize"/>; token counts are extrapolated linearly in the input size, N x N memory
    /// quadratically.</summary>
    private void CheckMemory(IReadOnlyDictionary<string, Tensor<float>> feeds, string label,
        List<OnnxAttentionBlock> sel, int batch)
    {
        double ratio = 1;
        var probe = new List<NamedOnnxValue>();
        foreach (var (name, t) in feeds)
        {
            var info = _model.Inputs.First(i => i.Name == name);
            var dims = t.Dimensions.ToArray();
            var pd = (int[])dims.Clone();
            for (int k = 1; k < dims.Length; k++)
                if ((k >= info.Shape.Length || info.Shape[k] == null) && dims[k] > ProbeSize) pd[k] = ProbeSize;
            ratio = Math.Max(ratio, (double)HostTensor.Count(dims) / HostTensor.Count(pd));
            probe.Add(OnnxFeedConversion.ToInput(name, Crop(t, pd), info.ElemType));
        }
        if (ratio == 1) return;
        Dictionary<string, HostTensor> res;
        try
        {
            using var results = _session.Run(probe, OutputNames(sel));
            res = results.ToDictionary(r => r.Name, HostTensor.From);
        }
        catch (OnnxRuntimeException) { return; } // the model does not take the cropped input: no estimate
        double bytes = 0, maxTokens = 0;
        int heads = 0;
        foreach (var b in sel)
        {
            BlockCapture cap;
            try { cap = BlockCapture.Run(b, _model, res, batch); }
            catch (InvalidDataException) { continue; }
            double n = cap.QueryTokens * ratio, mk = cap.KeyTokens * ratio;
            maxTokens = Math.Max(maxTokens, n);
            heads = Math.Max(heads, cap.HeadsPerBatch);
            // float32 logits and chain outputs in OnnxRuntime, three float64 copies here, and each head's bias
            bytes += cap.Groups * n * mk * (4.0 * (b.Chain.Count + 2) + 8 * 4);
        }
        // the audit's N x N float64 matrices (about a dozen per head, one head per core at a time)
        bytes += Environment.ProcessorCount * 12 * 8 * maxTokens * maxTokens;
        double avail = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes > 0.8 * avail)
            throw new ArgumentException(
                $"Input '{label}' [{string.Join(",", feeds.Values.First().Dimensions.ToArray())}] is too large: its " +
                $"attention would need about {bytes / 1e9:F1} GB (about {maxTokens:F0} tokens per head, " +
                $"{heads} heads in each of {sel.Count} blocks), more than the {avail / 1e9:F1} GB of memory " +
                "available. Use a smaller input.");
    }

    private static Tensor<float> Crop(Tensor<float> t, int[] dims)
    {
        var src = t.Dimensions.ToArray();
        if (src.SequenceEqual(dims)) return t;
        var r = new DenseTensor<float>(dims);
        var ss = HostTensor.Strides(src);
        var idx = new int[dims.Length];
        var flat = t.ToArray();
        var dst = r.Buffer.Span;
        for (long e = 0; e < dst.Length; e++)
        {
            long off = 0;
            for (int k = 0; k < dims.Length; k++) off += idx[k] * ss[k];
            dst[(int)e] = flat[off];
            for (int k = dims.Length - 1; k >= 0 && ++idx[k] == dims[k]; k--) idx[k] = 0;
        }
        return r;
    }

    /// <summary>Logits at or below this are counted as masked out.</summary>
    private const double MaskedLogit = -1e3;

    private static string BiasNote(int block, List<CapturedHead> heads)
    {
        double max = 0;
        long masked = 0, total = 0;
        foreach (var h in heads)
        {
            if (h.LogitBias is not { } b) continue;
            for (int i = 0; i < b.Rows; i++)
                for (int j = 0; j < b.Cols; j++)
                {
                    total++;
                    if (!(b[i, j] > MaskedLogit)) masked++;
                    else max = Math.Max(max, Math.Abs(b[i, j]));
                }
        }
        // float32 rounding of the model's own logits leaves |bias| ~ 1e-6 where the term is zero
        string what = max < 1e-4 && masked == 0 ? "zero for this input"
            : $"|bias| up to {max:G3} on unmasked logits, {masked} of {total} logits masked";
        return $"block {block}: masks/biases (Add/Where) are added to the scaled scores before the softmax ({what}); " +
               "they are reported per head as LogitBias, and attn_check_err measures the kernel view without them";
    }

    /// <inheritdoc/>
    public void Dispose() => _session.Dispose();
}
