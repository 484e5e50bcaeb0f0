using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.KernelPcaAudit;

namespace AttentionSpectra.Models;

/// <summary>The captured tensors of one attention block after a run, interpreted per head: each contraction is
/// read as an einsum (letters per axis) so that MatMul in either orientation, Einsum, broadcast K/V heads (MQA/GQA)
/// and batch dimensions are handled alike. Rebuilds the model's logits from the captured Q, K, scale and additive
/// terms to check them.</summary>
internal sealed class BlockCapture
{
    private const string BatchLetters = "0123456789";

    /// <summary>Number of (batch, head) groups.</summary>
    public int Groups { get; private init; }
    /// <summary>Batch size the groups are split into.</summary>
    public int Batch { get; private init; }
    /// <summary>Heads per batch element.</summary>
    public int HeadsPerBatch { get; private init; }
    public int QueryTokens { get; private init; }
    public int KeyTokens { get; private init; }
    /// <summary>True when masks or biases are added to the scaled scores.</summary>
    public bool HasAdditiveTerm { get; private init; }
    /// <summary>Largest relative logit error a head may have to pass the check.</summary>
    public double Tolerance { get; private init; }

    private readonly Operand _q = null!, _k = null!, _v = null!;
    private readonly double _qScale, _kScale, _chainScale;
    private readonly int _d, _dv;
    private readonly double[] _scores = null!, _logitsRebuilt = null!;
    private readonly float[] _logits = null!;
    private readonly long[] _sBatchStrides = null!;
    private readonly long _sI, _sJ;
    private readonly int[] _batchSizes = null!;
    private HostTensor? _queryInput;

    /// <summary>Operand data with the stride of each role (per batch letter, query/key axis, feature axis).</summary>
    private sealed record Operand(float[] Data, long[] BatchStrides, long RowStride, long ColStride);

    private BlockCapture(Operand q, Operand k, Operand v, double qs, double ks, double cs, int d, int dv,
        double[] scores, double[] rebuilt, float[] logits, long[] sb, long si, long sj, int[] batchSizes)
    {
        (_q, _k, _v, _qScale, _kScale, _chainScale, _d, _dv) = (q, k, v, qs, ks, cs, d, dv);
        (_scores, _logitsRebuilt, _logits, _sBatchStrides, _sI, _sJ, _batchSizes) =
            (scores, rebuilt, logits, sb, si, sj, batchSizes);
    }

    private static HostTensor Get(OnnxModel m, Dictionary<string, HostTensor> res, string name)
    {
        if (res.TryGetValue(name, out var t)) return t;
        if (m.Initializers.TryGetValue(name, out var init))
        {
            var v = OnnxModel.Decode(init, int.MaxValue)
                ?? throw new InvalidDataException($"constant '{name}' has an unsupported element type");
            return new HostTensor(v.Select(x => (float)x).ToArray(), init.Dims.Select(x => (int)x).ToArray());
        }
        throw new InvalidDataException($"graph value '{name}' was not captured");
    }

    private static double Factor(IEnumerable<ScaleFactor> fs, OnnxModel m, Dictionary<string, HostTensor> res)
    {
        double s = 1;
        foreach (var f in fs)
        {
            double v;
            if (f.Constant is { } c) v = c;
            else
            {
                var t = Get(m, res, f.Tensor!);
                if (t.Length != 1)
                    throw new InvalidDataException($"the scale '{f.Tensor}' has {t.Length} elements, not 1");
                v = t.Data[0];
            }
            if (v == 0 || !double.IsFinite(v)) throw new InvalidDataException($"scale factor {v}");
            s = f.Divide ? s / v : s * v;
        }
        return s;
    }

    /// <summary>Letters per axis of both operands and of the result (einsum view of MatMul/Einsum).</summary>
    internal static (string L, string R, string Out) Letters(ContractionNode c, int rl, int rr)
    {
        if (c.OpType == "MatMul")
        {
            if (rl < 2 || rr < 2) throw new InvalidDataException("MatMul with a rank-1 operand");
            int lead = Math.Max(rl, rr) - 2;
            if (lead > BatchLetters.Length) throw new InvalidDataException("MatMul operands of too high rank");
            string b = BatchLetters[..lead];
            return (b[(lead - (rl - 2))..] + "xy", b[(lead - (rr - 2))..] + "yz", b + "xz");
        }
        string eq = c.Equation!.Replace(" ", "");
        int arrow = eq.IndexOf("->", StringComparison.Ordinal);
        var parts = (arrow >= 0 ? eq[..arrow] : eq).Split(',');
        if (parts.Length != 2) throw new InvalidDataException($"Einsum '{c.Equation}' does not have two operands");
        int[] ranks = [rl, rr];
        var ell = new int[2];
        for (int k = 0; k < 2; k++)
            ell[k] = parts[k].Contains("...") ? ranks[k] - (parts[k].Length - 3) : 0;
        int maxEll = Math.Max(ell[0], ell[1]);
        var mismatch = new InvalidDataException($"Einsum '{c.Equation}' does not match its operand ranks");
        if (maxEll > BatchLetters.Length || ell.Any(e => e < 0)) throw mismatch;
        string Expand(string p, int e) => p.Replace("...", BatchLetters[(maxEll - e)..maxEll]);
        string l = Expand(parts[0], ell[0]), r = Expand(parts[1], ell[1]);
        if (l.Length != rl || r.Length != rr) throw mismatch;
        string o;
        if (arrow >= 0) o = eq[(arrow + 2)..].Replace("...", BatchLetters[..maxEll]);
        else
        {
            var once = (l + r).Where(ch => !BatchLetters.Contains(ch)).GroupBy(ch => ch)
                .Where(g => g.Count() == 1).Select(g => g.Key).OrderBy(ch => ch);
            o = BatchLetters[..maxEll] + new string(once.ToArray());
        }
        return (l, r, o);
    }

    private static void AddSizes(Dictionary<char, int> sizes, string letters, int[] shape)
    {
        for (int a = 0; a < letters.Length; a++)
        {
            char ch = letters[a];
            if (!sizes.TryGetValue(ch, out var s) || s == 1) sizes[ch] = shape[a];
            else if (shape[a] != 1 && shape[a] != s)
                throw new InvalidDataException($"inconsistent sizes {s} and {shape[a]} for one contraction axis");
        }
    }

    /// <summary>Stride of each letter in a tensor (0 for broadcast axes of size 1).</summary>
    private static Dictionary<char, long> LetterStrides(string letters, int[] shape)
    {
        var st = HostTensor.Strides(shape);
        var r = new Dictionary<char, long>();
        for (int a = 0; a < letters.Length; a++)
            r[letters[a]] = r.GetValueOrDefault(letters[a]) + (shape[a] == 1 ? 0 : st[a]);
        return r;
    }

    private static Operand MakeOperand(HostTensor t, Dictionary<char, long> st, string batch, char row, char col,
        string what)
    {
        foreach (var ch in st.Keys)
            if (ch != row && ch != col && !batch.Contains(ch))
                throw new InvalidDataException($"{what} has an axis that is neither head, token nor feature");
        return new Operand(t.Data, batch.Select(ch => st.GetValueOrDefault(ch)).ToArray(),
            st.GetValueOrDefault(row), st.GetValueOrDefault(col));
    }

    public static BlockCapture Run(OnnxAttentionBlock b, OnnxModel m, Dictionary<string, HostTensor> res, int batch)
    {
        var A = Get(m, res, b.Score.Left);
        var B = Get(m, res, b.Score.Right);
        var (la, lb, lo) = Letters(b.Score, A.Shape.Length, B.Shape.Length);
        var sizes = new Dictionary<char, int>();
        AddSizes(sizes, la, A.Shape);
        AddSizes(sizes, lb, B.Shape);
        int[] sShape = lo.Select(ch => sizes[ch]).ToArray();
        var sStrides = HostTensor.Strides(sShape);
        var L = Get(m, res, b.Logits);
        if (L.Length != HostTensor.Count(sShape))
            throw new InvalidDataException(
                $"the logits [{HostTensor.Fmt(L.Shape)}] do not have the scores' [{HostTensor.Fmt(sShape)}] elements");

        // the softmax axis of the logits, as an axis of the scores (Reshape keeps the row-major order)
        int r = L.Shape.Length;
        long ax = b.SoftmaxAxis < 0 ? b.SoftmaxAxis + r : b.SoftmaxAxis;
        if (ax < 0 || ax >= r) throw new InvalidDataException($"softmax axis {b.SoftmaxAxis} out of range");
        long group = b.LegacySoftmax ? HostTensor.Count(L.Shape[(int)ax..]) : L.Shape[ax];
        long inner = b.LegacySoftmax ? 1 : HostTensor.Count(L.Shape[((int)ax + 1)..]);
        int kAxis = Enumerable.Range(0, lo.Length).FirstOrDefault(k => sShape[k] == group && sStrides[k] == inner, -1);
        if (kAxis < 0 || group < 1)
            throw new InvalidDataException("the softmax does not normalise over one axis of the scores");
        char kl = lo[kAxis];
        var contracted = la.Where(ch => lb.Contains(ch) && !lo.Contains(ch)).Distinct().ToList();
        if (contracted.Count != 1)
            throw new InvalidDataException(
                $"the scores contract over {contracted.Count} axes (expected one feature axis)");
        char dl = contracted[0];
        bool keyRight = lb.Contains(kl) && !la.Contains(kl);
        if (!keyRight && !(la.Contains(kl) && !lb.Contains(kl)))
            throw new InvalidDataException("the softmax axis is not a token axis of one score operand");
        var (qT, qL, kT, kL) = keyRight ? (A, la, B, lb) : (B, lb, A, la);
        var qls = lo.Where(ch => ch != kl && qL.Contains(ch) && !kL.Contains(ch)).ToList();
        if (qls.Count == 0) throw new InvalidDataException("no query token axis in the scores");
        char ql = qls[^1];
        string batchL = new(lo.Where(ch => ch != kl && ch != ql).ToArray());
        int n = sizes[ql], mk = sizes[kl], d = sizes[dl];
        var q = MakeOperand(qT, LetterStrides(qL, qT.Shape), batchL, ql, dl, "Q");
        var k = MakeOperand(kT, LetterStrides(kL, kT.Shape), batchL, kl, dl, "K");
        double sLeft = Factor(b.LeftScale, m, res), sRight = Factor(b.RightScale, m, res);
        double qs = keyRight ? sLeft : sRight, ks = keyRight ? sRight : sLeft;

        int[] bSizes = batchL.Select(ch => sizes[ch]).ToArray();
        int groups = (int)HostTensor.Count(bSizes);
        var sb = batchL.Select(ch => sStrides[lo.IndexOf(ch)]).ToArray();
        long si = sStrides[lo.IndexOf(ql)], sj = sStrides[kAxis];

        // the scores as the model computes them (from its own score operands), in the scores' layout
        var scores = new double[L.Length];
        var bi = new int[bSizes.Length];
        for (int g = 0; g < groups; g++)
        {
            Unflatten(g, bSizes, bi);
            long qb = Dot(bi, q.BatchStrides), kb = Dot(bi, k.BatchStrides), s0 = Dot(bi, sb);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < mk; j++)
                {
                    double acc = 0;
                    long qo = qb + i * q.RowStride, ko = kb + j * k.RowStride;
                    for (int t = 0; t < d; t++)
                        acc += (double)q.Data[qo + t * q.ColStride] * k.Data[ko + t * k.ColStride];
                    scores[s0 + i * si + j * sj] = acc;
                }
        }

        // replay the nodes between scores and softmax
        double chainScale = 1;
        bool additive = false;
        var cur = (double[])scores.Clone();
        int[] shape = sShape;
        foreach (var st in b.Chain)
        {
            var outT = Get(m, res, st.Output);
            var os = outT.Shape;
            switch (st.Kind)
            {
                case ChainKind.Layout:
                    if (HostTensor.Count(os) != cur.Length)
                        throw new InvalidDataException($"{st.OpType} changes the element count of the scores");
                    break;
                case ChainKind.Scale:
                    if (HostTensor.Count(os) != cur.Length)
                        throw new InvalidDataException("a scale broadcasts the scores");
                    double f = Factor([st.Scale!], m, res);
                    chainScale *= f;
                    for (int e = 0; e < cur.Length; e++) cur[e] *= f;
                    break;
                case ChainKind.Add:
                {
                    additive = true;
                    var other = Get(m, res, st.Other!);
                    var oc = HostTensor.BroadcastOffsets(shape, os);
                    var oo = HostTensor.BroadcastOffsets(other.Shape, os);
                    var next = new double[oc.Length];
                    for (int e = 0; e < next.Length; e++) next[e] = cur[oc[e]] + st.Sign * (double)other.Data[oo[e]];
                    cur = next;
                    break;
                }
                case ChainKind.Where:
                {
                    additive = true;
                    var fill = Get(m, res, st.Other!);
                    var cond = Get(m, res, st.Condition!);
                    var oc = HostTensor.BroadcastOffsets(shape, os);
                    var of = HostTensor.BroadcastOffsets(fill.Shape, os);
                    var ob = HostTensor.BroadcastOffsets(cond.Shape, os);
                    var next = new double[oc.Length];
                    for (int e = 0; e < next.Length; e++)
                        next[e] = (cond.Data[ob[e]] != 0) == st.ScoresWhenTrue ? cur[oc[e]] : fill.Data[of[e]];
                    cur = next;
                    break;
                }
            }
            if (cur.Length != scores.Length)
                throw new InvalidDataException("a mask or bias broadcasts the scores to more elements");
            shape = os;
        }

        // values: the weights operand of the value product has the scores' layout
        int[] pShape = b.WeightsReshaped ? Get(m, res, b.Values.WeightsInput(b.WeightsOperand)).Shape : L.Shape;
        if (!pShape.SequenceEqual(sShape))
            throw new InvalidDataException(
                $"the attention weights reach the value product as [{HostTensor.Fmt(pShape)}], not in the " +
                "scores' layout");
        var V = Get(m, res, b.WeightsOperand == 0 ? b.Values.Right : b.Values.Left);
        var av = b.WeightsOperand == 0
            ? Letters(b.Values, pShape.Length, V.Shape.Length) : Letters(b.Values, V.Shape.Length, pShape.Length);
        string pl = b.WeightsOperand == 0 ? av.L : av.R, vl = b.WeightsOperand == 0 ? av.R : av.L;
        var vc = pl.Where(ch => vl.Contains(ch) && !av.Out.Contains(ch)).Distinct().ToList();
        if (vc.Count != 1 || lo[pl.IndexOf(vc[0])] != kl)
            throw new InvalidDataException(
                "the value product does not contract the attention weights over the key axis");
        // rename the value operand's letters to the scores' letters (j = key axis, e = free value feature)
        var vMapped = new char[vl.Length];
        int free = 0;
        for (int a = 0; a < vl.Length; a++)
        {
            char ch = vl[a];
            int pos = pl.IndexOf(ch);
            if (ch == vc[0]) vMapped[a] = kl;
            else if (pos >= 0)
            {
                if (lo[pos] == ql) throw new InvalidDataException("the values are indexed by the query axis");
                vMapped[a] = lo[pos];
            }
            else { vMapped[a] = '\u0001'; free++; }
        }
        if (free != 1) throw new InvalidDataException($"the values have {free} feature axes (expected one)");
        var vst = LetterStrides(new string(vMapped), V.Shape);
        var v = MakeOperand(V, vst, batchL, kl, '\u0001', "V");
        int dv = V.Shape[Array.IndexOf(vMapped, '\u0001')];

        bool low = A.LowPrecision || B.LowPrecision || L.LowPrecision;
        int bsz = batch > 1 && groups % batch == 0 ? batch : 1;
        string? xName = keyRight ? b.LeftInput : b.RightInput;
        return new BlockCapture(q, k, v, qs, ks, chainScale, d, dv, scores, cur, L.Data, sb, si, sj, bSizes)
        {
            Groups = groups, Batch = bsz, HeadsPerBatch = groups / bsz, QueryTokens = n, KeyTokens = mk,
            HasAdditiveTerm = additive, Tolerance = low ? 3e-2 : 1e-4,
            _queryInput = xName != null && res.TryGetValue(xName, out var x) ? x : null,
        };
    }

    private static void Unflatten(int g, int[] sizes, int[] idx)
    {
        for (int k = sizes.Length - 1; k >= 0; k--) { idx[k] = g % sizes[k]; g /= sizes[k]; }
    }

    private static long Dot(int[] idx, long[] strides)
    {
        long s = 0;
        for (int k = 0; k < idx.Length; k++) s += idx[k] * strides[k];
        return s;
    }

    /// <summary>Head <paramref name="g"/> as a <see cref="CapturedHead"/>: unscaled projections with the total scale
    /// folded into Q (Q·s·sqrt D), the logit check, the additive term and the kernel view's attention
    /// error.</summary>
    public CapturedHead Head(int g, int layer, int head, string label)
    {
        var bi = new int[_batchSizes.Length];
        Unflatten(g, _batchSizes, bi);
        int n = QueryTokens, mk = KeyTokens;
        double scale = _qScale * _kScale * _chainScale;
        double fold = scale * Math.Sqrt(_d);
        var Q = Read(_q, bi, n, _d, fold / _qScale);
        var K = Read(_k, bi, mk, _d, 1 / _kScale);
        var V = Read(_v, bi, mk, _dv, 1);
        long s0 = Dot(bi, _sBatchStrides);
        double err = 0, attnErr = 0;
        var bias = HasAdditiveTerm ? new Matrix(n, mk) : null;
        var kernelRow = new double[mk];
        var modelRow = new double[mk];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < mk; j++)
            {
                long o = s0 + i * _sI + j * _sJ;
                double l = _logits[o], rb = _logitsRebuilt[o];
                double e = double.IsFinite(l) && double.IsFinite(rb) ? Math.Abs(l - rb) / Math.Max(1, Math.Abs(l))
                    : l == rb ? 0 : double.PositiveInfinity;
                if (!(e <= err)) err = e; // NaN propagates
                kernelRow[j] = _chainScale * _scores[o];
                modelRow[j] = l;
                if (bias != null) bias[i, j] = l - kernelRow[j];
            }
            SoftmaxInPlace(kernelRow);
            SoftmaxInPlace(modelRow);
            for (int j = 0; j < mk; j++) attnErr = Math.Max(attnErr, Math.Abs(kernelRow[j] - modelRow[j]));
        }
        return new CapturedHead(layer, head, label, Q, K, V, attnErr, err, scale, bias) { X = QueryInput(g) };
    }

    /// <summary>The N x C tensor the queries of group <paramref name="g"/> were projected from, when it was found
    /// and has one row per query token ([N, C], [B, N, C] or [B·N, C]); else null.</summary>
    public Matrix? QueryInput(int g)
    {
        if (_queryInput is not { } x || x.Shape.Length is < 2 or > 3) return null;
        int n = QueryTokens, c = x.Shape[^1];
        long rows = x.Length / c;
        int b = g / HeadsPerBatch;
        if (rows == n) b = 0;
        else if (rows != (long)n * Batch || (x.Shape.Length == 3 && x.Shape[1] != n)) return null;
        var m = new Matrix(n, c);
        long o = (long)b * n * c;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < c; j++) m[i, j] = x.Data[o + (long)i * c + j];
        return m;
    }

    private static void SoftmaxInPlace(double[] x)
    {
        double mx = double.NegativeInfinity;
        foreach (var v in x) mx = Math.Max(mx, v);
        if (double.IsNegativeInfinity(mx)) { Array.Fill(x, 1.0 / x.Length); return; }
        double s = 0;
        for (int j = 0; j < x.Length; j++) { x[j] = Math.Exp(x[j] - mx); s += x[j]; }
        for (int j = 0; j < x.Length; j++) x[j] /= s;
    }

    private static Matrix Read(Operand op, int[] bi, int rows, int cols, double factor)
    {
        var r = new Matrix(rows, cols);
        long b0 = Dot(bi, op.BatchStrides);
        for (int i = 0; i < rows; i++)
            for (int c = 0; c < cols; c++) r[i, c] = factor * op.Data[b0 + i * op.RowStride + c * op.ColStride];
        return r;
    }
}
