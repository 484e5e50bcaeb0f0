using AttentionSpectra.Models.Onnx;

namespace AttentionSpectra.Models;

/// <summary>A scalar factor applied to a tensor on the way to the attention logits: a constant, or a tensor computed
/// at run time from shapes and constants only (e.g. 1/sqrt(Cast(Shape(q)[-1]))), read after the run.</summary>
/// <param name="Constant">Value when known statically.</param>
/// <param name="Tensor">Graph value holding the factor when it is computed at run time.</param>
/// <param name="Divide">True for Div (the tensor is divided by the factor).</param>
internal sealed record ScaleFactor(double? Constant, string? Tensor, bool Divide);

/// <summary>Kinds of step between the score contraction and the softmax.</summary>
internal enum ChainKind { Layout, Scale, Add, Where }

/// <summary>One node between the score contraction and the softmax: a layout change (Reshape, Cast, ...), a
/// scalar scale, an additive term (Add/Sub) or a mask (Where).</summary>
/// <param name="Kind">What the node does to the scores.</param>
/// <param name="Output">The node's output (captured for its shape).</param>
/// <param name="Scale">Factor for <see cref="ChainKind.Scale"/>.</param>
/// <param name="Other">The other operand: bias for Add/Sub, fill value for Where.</param>
/// <param name="Condition">Where's condition.</param>
/// <param name="Sign">-1 for Sub(scores, bias), else +1.</param>
/// <param name="ScoresWhenTrue">For Where: the scores are the value taken where the condition holds.</param>
/// <param name="OpType">The node's op type (for messages).</param>
internal sealed record ChainStep(ChainKind Kind, string Output, ScaleFactor? Scale = null, string? Other = null,
    string? Condition = null, int Sign = 1, bool ScoresWhenTrue = true, string OpType = "");

/// <summary>A two-operand contraction (MatMul, or Einsum with its equation).</summary>
/// <param name="OpType">MatMul or Einsum.</param>
/// <param name="Equation">Einsum equation (null for MatMul).</param>
/// <param name="Left">First operand.</param>
/// <param name="Right">Second operand.</param>
/// <param name="Output">Result.</param>
internal sealed record ContractionNode(string OpType, string? Equation, string Left, string Right, string Output);

/// <summary>One attention block found in the graph.</summary>
/// <param name="Index">0-based block index (graph order of the softmax nodes).</param>
/// <param name="Score">The contraction computing the scores (Q·K^T, K·Q^T or an Einsum).</param>
/// <param name="LeftScale">Scalar factors applied to the score's first operand after the projection.</param>
/// <param name="RightScale">Scalar factors applied to the score's second operand after the projection.</param>
/// <param name="Chain">Nodes from the scores to the softmax input, in graph order.</param>
/// <param name="Logits">The softmax input (the model's true logits).</param>
/// <param name="SoftmaxAxis">Softmax axis attribute (normalised at run time).</param>
/// <param name="LegacySoftmax">Opset &lt; 13 softmax (coerces the input to 2-D at the axis).</param>
/// <param name="Values">The contraction of the attention weights with the values.</param>
/// <param name="WeightsOperand">Which operand (0/1) of <see cref="Values"/> carries the attention weights.</param>
/// <param name="WeightsReshaped">The weights pass through a Reshape-like node before <see cref="Values"/>.</param>
/// <param name="LeftInput">The tensor the first score operand was projected from (x in x·W [+ b]), or null.</param>
/// <param name="RightInput">The tensor the second score operand was projected from, or null.</param>
internal sealed record OnnxAttentionBlock(int Index, ContractionNode Score, IReadOnlyList<ScaleFactor> LeftScale,
    IReadOnlyList<ScaleFactor> RightScale, IReadOnlyList<ChainStep> Chain, string Logits, long SoftmaxAxis,
    bool LegacySoftmax, ContractionNode Values, int WeightsOperand, bool WeightsReshaped,
    string? LeftInput = null, string? RightInput = null)
{
    /// <summary>Every graph value the run must expose for this block.</summary>
    public IEnumerable<string> CaptureNames(OnnxModel m)
    {
        yield return Score.Left;
        yield return Score.Right;
        yield return Logits;
        foreach (var f in LeftScale.Concat(RightScale)) if (f.Tensor != null) yield return f.Tensor;
        foreach (var s in Chain)
        {
            yield return s.Output;
            if (s.Scale?.Tensor != null) yield return s.Scale.Tensor;
            if (s.Other != null && !m.Initializers.ContainsKey(s.Other)) yield return s.Other;
            if (s.Condition != null && !m.Initializers.ContainsKey(s.Condition)) yield return s.Condition;
        }
        if (WeightsReshaped) yield return Values.WeightsInput(WeightsOperand);
        if (LeftInput != null) yield return LeftInput;
        if (RightInput != null) yield return RightInput;
        yield return WeightsOperand == 0 ? Values.Right : Values.Left;
    }
}

/// <summary>Helpers on contraction nodes.</summary>
internal static class ContractionNodeExtensions
{
    /// <summary>Operand <paramref name="i"/> (0 = left).</summary>
    public static string WeightsInput(this ContractionNode c, int i) => i == 0 ? c.Left : c.Right;
}

/// <summary>Static analysis of an ONNX graph: finds the attention blocks (score contraction → scale / masks /
/// biases → softmax → contraction with V) in every common export style, and lists what it cannot audit.</summary>
internal sealed class OnnxAttentionGraph
{
    private static readonly HashSet<string> LayoutOps =
        ["Transpose", "Reshape", "Cast", "Identity", "Squeeze", "Unsqueeze", "Flatten", "Expand", "Gather", "Slice",
         "Split", "Tile", "Dropout", "CastLike"];
    private static readonly HashSet<string> FlatOps =
        ["Reshape", "Cast", "Identity", "Squeeze", "Unsqueeze", "Flatten", "Dropout", "CastLike"];
    private static readonly HashSet<string> FusedOps =
        ["Attention", "MultiHeadAttention", "GroupQueryAttention", "PackedAttention", "PackedMultiHeadAttention",
         "DecoderMaskedMultiHeadAttention", "DecoderMaskedSelfAttention", "SparseAttention", "LongformerAttention",
         "QAttention", "DecoderAttention"];

    private readonly OnnxModel _m;
    private readonly Dictionary<string, NodeProto> _producer = [];
    private readonly Dictionary<string, List<NodeProto>> _consumers = [];
    private readonly Dictionary<string, bool> _static = [];
    private readonly HashSet<string> _graphInputs;

    /// <summary>Blocks found, in graph order.</summary>
    public List<OnnxAttentionBlock> Blocks { get; } = [];

    /// <summary>Softmax nodes (or fused attention nodes) that could not be audited, with the reason.</summary>
    public List<string> Refused { get; } = [];

    /// <summary>Fewest inputs an operator the matcher reads must have (ONNX operator specs); a node with fewer makes
    /// the model invalid, so it is refused up front instead of failing inside the pattern matcher.</summary>
    private static readonly Dictionary<string, int> MinInputs = new()
    {
        ["MatMul"] = 2, ["Gemm"] = 2, ["Add"] = 2, ["Sub"] = 2, ["Mul"] = 2, ["Div"] = 2, ["Pow"] = 2, ["Where"] = 3,
        ["Softmax"] = 1, ["Einsum"] = 1, ["Transpose"] = 1, ["Reshape"] = 2, ["Cast"] = 1, ["Identity"] = 1,
        ["Squeeze"] = 1, ["Unsqueeze"] = 1, ["Flatten"] = 1, ["Expand"] = 2, ["Gather"] = 2, ["Slice"] = 1,
        ["Split"] = 1, ["Tile"] = 2, ["Dropout"] = 1, ["CastLike"] = 2, ["Sqrt"] = 1,
    };

    public OnnxAttentionGraph(OnnxModel m)
    {
        _m = m;
        _graphInputs = m.Inputs.Select(i => i.Name).ToHashSet();
        foreach (var n in m.Graph.Node)
        {
            if (MinInputs.TryGetValue(n.OpType, out int need) && n.Input.Count < need || n.Output.Count == 0)
                throw new InvalidDataException(
                    $"invalid ONNX graph: node '{(n.Name.Length > 0 ? n.Name : n.OpType)}' ({n.OpType}) has " +
                    $"{n.Input.Count} input(s) and {n.Output.Count} output(s); the operator needs at least " +
                    $"{(MinInputs.TryGetValue(n.OpType, out int k) ? k : 0)} input(s) and one output.");
        }
        foreach (var n in m.Graph.Node)
        {
            foreach (var o in n.Output) _producer[o] = n;
            foreach (var i in n.Input)
            {
                if (!_consumers.TryGetValue(i, out var l)) _consumers[i] = l = [];
                l.Add(n);
            }
        }
        foreach (var n in m.Graph.Node)
        {
            if (n.OpType == "Softmax" && n.Input.Count > 0)
            {
                string? why = TryBlock(n, out var b);
                if (b != null) Blocks.Add(b with { Index = Blocks.Count });
                else if (NearProduct(n.Input[0], 0)) Refused.Add($"softmax '{Name(n)}': {why}");
                // else: a classifier/gating softmax with no query-key product before it, not attention
            }
            else if (n.Domain == "com.microsoft" && FusedOps.Contains(n.OpType))
                Refused.Add($"fused com.microsoft.{n.OpType} node '{Name(n)}': its queries and keys are internal to " +
                            "the op, and this configuration (key/value cache, rotary embedding, length masks, ...) " +
                            "is not expanded into plain ops; export the model without ONNX Runtime's " +
                            "transformer fusions");
            int sub = n.Attribute.Sum(a => CountSoftmax(a.G) + a.Graphs.Sum(CountSoftmax));
            if (sub > 0)
                Refused.Add($"{sub} softmax node(s) inside the subgraphs of {n.OpType} node '{Name(n)}': attention " +
                            "inside If/Loop/Scan subgraphs is not audited");
        }
    }

    private static int CountSoftmax(GraphProto? g) =>
        g == null ? 0 : g.Node.Sum(n => (n.OpType == "Softmax" ? 1 : 0) +
                                        n.Attribute.Sum(a => CountSoftmax(a.G) + a.Graphs.Sum(CountSoftmax)));

    private static string Name(NodeProto n) => n.Name.Length > 0 ? n.Name : n.Output.FirstOrDefault() ?? n.OpType;

    /// <summary>True when the value depends only on constants and tensor shapes (not on input data).</summary>
    private bool IsStatic(string name, int depth = 0)
    {
        if (name.Length == 0) return true;
        if (_static.TryGetValue(name, out var s)) return s;
        bool r;
        if (_m.Initializers.ContainsKey(name)) r = true;
        else if (_graphInputs.Contains(name) || depth > 64) r = false;
        else if (!_producer.TryGetValue(name, out var p)) r = false;
        else if (p.OpType is "Shape" or "Size" or "Constant") r = true;
        else r = p.Input.All(i => IsStatic(i, depth + 1));
        _static[name] = r;
        return r;
    }

    /// <summary>A factor if <paramref name="name"/> can be a scalar multiplier: a one-element constant or a static
    /// (shape-derived) value checked to hold one element at run time. Constants with several elements are
    /// not.</summary>
    private ScaleFactor? AsScalar(string name, bool divide)
    {
        if (!IsStatic(name)) return null;
        var shape = _m.ConstantShape(name);
        if (shape != null)
        {
            var v = _m.ConstantValues(name, 1);
            return v is { Length: 1 } ? new ScaleFactor(v[0], null, divide) : null;
        }
        return new ScaleFactor(null, name, divide);
    }

    /// <summary>Walk back from a score operand through layout/selection ops and scalar Mul/Div (which commute),
    /// collecting the scalar factors: the unscaled projection is the operand divided by their product.</summary>
    private List<ScaleFactor> OperandScale(string start)
    {
        var factors = new List<ScaleFactor>();
        string cur = start;
        for (int hop = 0; hop < 24 && _producer.TryGetValue(cur, out var p); hop++)
        {
            if (LayoutOps.Contains(p.OpType) && p.Input.Count > 0 && !IsStatic(p.Input[0]))
            {
                cur = p.Input[0];
                continue;
            }
            if (p.OpType is "Mul" or "Div" && p.Input.Count == 2)
            {
                bool div = p.OpType == "Div";
                var f1 = AsScalar(p.Input[1], div);
                var f0 = div ? null : AsScalar(p.Input[0], false);
                if (f1 != null && !IsStatic(p.Input[0])) { factors.Add(f1); cur = p.Input[0]; continue; }
                if (f0 != null && !IsStatic(p.Input[1])) { factors.Add(f0); cur = p.Input[1]; continue; }
            }
            break;
        }
        return factors;
    }

    /// <summary>The data operand x of the projection x·W [+ b] a score operand comes from (through layout ops,
    /// scalar scales and the bias), or null when there is no such projection (e.g. rotary embeddings).</summary>
    private string? ProjectionInput(string start)
    {
        string cur = start;
        for (int hop = 0; hop < 24 && _producer.TryGetValue(cur, out var p); hop++)
        {
            if (p.OpType is "MatMul" or "Gemm" && p.Input.Count >= 2 && IsStatic(p.Input[1]) && !IsStatic(p.Input[0]))
                return p.Input[0];
            if (LayoutOps.Contains(p.OpType) && p.Input.Count > 0 && !IsStatic(p.Input[0]))
            {
                cur = p.Input[0];
                continue;
            }
            bool s0 = p.Input.Count == 2 && IsStatic(p.Input[0]), s1 = p.Input.Count == 2 && IsStatic(p.Input[1]);
            if (p.OpType is "Mul" or "Add" && s0 != s1) { cur = s1 ? p.Input[0] : p.Input[1]; continue; }
            if (p.OpType == "Div" && s1 && !s0) { cur = p.Input[0]; continue; }
            break;
        }
        return null;
    }

    /// <summary>True when a product of two data-dependent tensors (a possible query-key product) is at most 8 nodes
    /// before <paramref name="name"/>, through any ops but projections (products with a constant).</summary>
    private bool NearProduct(string name, int depth)
    {
        if (depth > 8 || IsStatic(name) || !_producer.TryGetValue(name, out var p)) return false;
        if (p.OpType is "MatMul" or "Einsum" or "Gemm" or "Conv")
            return p.Input.Count >= 2 && !IsStatic(p.Input[0]) && !IsStatic(p.Input[1]); // a projection ends the search
        return p.Input.Any(i => NearProduct(i, depth + 1));
    }

    /// <summary>True when the value comes from a MatMul/Einsum through ops allowed between scores and
    /// softmax.</summary>
    private bool LeadsToScore(string name, int depth = 0)
    {
        if (depth > 16 || IsStatic(name) || !_producer.TryGetValue(name, out var p)) return false;
        if (p.OpType is "MatMul" or "Einsum" && p.Input.Count == 2)
            return !IsStatic(p.Input[0]) && !IsStatic(p.Input[1]);
        if (FlatOps.Contains(p.OpType)) return LeadsToScore(p.Input[0], depth + 1);
        if (p.OpType is "Mul" or "Div" or "Add" or "Sub") return p.Input.Any(i => LeadsToScore(i, depth + 1));
        if (p.OpType == "Where" && p.Input.Count == 3)
            return LeadsToScore(p.Input[1], depth + 1) || LeadsToScore(p.Input[2], depth + 1);
        return false;
    }

    private string? TryBlock(NodeProto sm, out OnnxAttentionBlock? block)
    {
        block = null;
        var chain = new List<ChainStep>();
        string cur = sm.Input[0];
        NodeProto? score = null;
        for (int hop = 0; hop < 32; hop++)
        {
            if (!_producer.TryGetValue(cur, out var p))
                return "its input is not computed from a MatMul/Einsum of two tensors";
            if (p.OpType is "MatMul" or "Einsum" && p.Input.Count == 2)
            {
                if (IsStatic(p.Input[0]) || IsStatic(p.Input[1]))
                    return $"its scores come from {p.OpType} with a constant operand (not a query-key product)";
                score = p; break;
            }
            if (FlatOps.Contains(p.OpType))
            {
                chain.Add(new ChainStep(ChainKind.Layout, p.Output[0], OpType: p.OpType));
                cur = p.Input[0];
                continue;
            }
            if (p.OpType is "Mul" or "Div" or "Add" or "Sub" && p.Input.Count == 2)
            {
                int path = LeadsToScore(p.Input[0]) ? 0 : LeadsToScore(p.Input[1]) ? 1 : -1;
                if (path < 0) return $"{p.OpType} node '{Name(p)}' before it does not lead to the scores";
                string other = p.Input[1 - path];
                if (p.OpType is "Mul" or "Div")
                {
                    if (p.OpType == "Div" && path == 1) return $"Div node '{Name(p)}' divides by the scores";
                    var f = AsScalar(other, p.OpType == "Div");
                    if (f == null)
                        return $"{p.OpType} node '{Name(p)}' multiplies the scores elementwise by a non-scalar tensor";
                    chain.Add(new ChainStep(ChainKind.Scale, p.Output[0], Scale: f, OpType: p.OpType));
                }
                else
                {
                    if (p.OpType == "Sub" && path == 1) return $"Sub node '{Name(p)}' negates the scores";
                    chain.Add(new ChainStep(ChainKind.Add, p.Output[0], Other: other, Sign: p.OpType == "Sub" ? -1 : 1,
                        OpType: p.OpType));
                }
                cur = p.Input[path];
                continue;
            }
            if (p.OpType == "Where" && p.Input.Count == 3)
            {
                bool x = LeadsToScore(p.Input[1]), y = LeadsToScore(p.Input[2]);
                if (x == y) return $"Where node '{Name(p)}' before it does not select between scores and a fill value";
                chain.Add(new ChainStep(ChainKind.Where, p.Output[0], Other: x ? p.Input[2] : p.Input[1],
                    Condition: p.Input[0], ScoresWhenTrue: x, OpType: "Where"));
                cur = x ? p.Input[1] : p.Input[2];
                continue;
            }
            return $"{p.OpType} node '{Name(p)}' between the scores and the softmax is not supported";
        }
        if (score == null) return "too many nodes between the scores and the softmax";
        chain.Reverse();
        string? eq = score.OpType == "Einsum"
            ? score.Attribute.FirstOrDefault(a => a.Name == "equation")?.S.ToStringUtf8() : null;
        if (score.OpType == "Einsum" && eq == null) return "Einsum without equation";
        var sc = new ContractionNode(score.OpType, eq, score.Input[0], score.Input[1], score.Output[0]);

        // forwards: softmax output -> [cast/dropout/reshape]* -> MatMul/Einsum with V
        string a = sm.Output[0];
        NodeProto? av = null; bool reshaped = false;
        for (int hop = 0; hop < 6 && _consumers.TryGetValue(a, out var cs); hop++)
        {
            av = cs.FirstOrDefault(c => c.OpType is "MatMul" or "Einsum" && c.Input.Count == 2);
            if (av != null) break;
            var pt = cs.FirstOrDefault(c => FlatOps.Contains(c.OpType));
            if (pt == null) break;
            if (pt.OpType is not ("Cast" or "Identity" or "Dropout" or "CastLike")) reshaped = true;
            a = pt.Output[0];
        }
        if (av == null) return "its output is not multiplied with a value tensor (MatMul/Einsum)";
        int wop = av.Input[0] == a ? 0 : 1;
        string? aveq = av.OpType == "Einsum"
            ? av.Attribute.FirstOrDefault(t => t.Name == "equation")?.S.ToStringUtf8() : null;
        if (av.OpType == "Einsum" && aveq == null) return "Einsum without equation";
        var vc = new ContractionNode(av.OpType, aveq, av.Input[0], av.Input[1], av.Output[0]);
        long axis = sm.Attribute.FirstOrDefault(t => t.Name == "axis")?.I ?? (_m.Opset >= 13 ? -1 : 1);
        block = new OnnxAttentionBlock(0, sc, OperandScale(sc.Left), OperandScale(sc.Right), chain, sm.Input[0], axis,
            _m.Opset < 13, vc, wop, reshaped, ProjectionInput(sc.Left), ProjectionInput(sc.Right));
        return null;
    }
}
