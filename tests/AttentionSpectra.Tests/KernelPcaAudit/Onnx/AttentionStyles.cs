using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.KernelPcaAudit.Onnx;

/// <summary>Export styles of one self-attention block (same weights, same attention) as written by PyTorch's
/// eager/SDPA exports, Hugging Face, OpenAI Whisper-style code and hand-written graphs.</summary>
public enum AttentionStyle
{
    /// <summary>MatMul(q, k^T) · constant scalar → Softmax → MatMul(·, v): the reference.</summary>
    Eager,
    /// <summary>Scores divided by sqrt(D) given as a 1-element tensor.</summary>
    DivByTensor,
    /// <summary>Queries multiplied by 1/sqrt(D) right after the projection, before the head split.</summary>
    QueryPrescaled,
    /// <summary>q and k^T each multiplied by D^-1/4 computed at run time (PyTorch's SDPA export, Whisper).</summary>
    QuarterPowerSplit,
    /// <summary>Div(scores, Sqrt(Cast(Shape(q)[3]))).</summary>
    RuntimeScale,
    /// <summary>Einsum for scores and for the value product.</summary>
    Einsum,
    /// <summary>K·Q^T, softmax over axis -2, V^T·A.</summary>
    Transposed,
    /// <summary>Reshape → Softmax (opset 12, default axis) → Reshape.</summary>
    ReshapeSoftmax,
    /// <summary>BERT mask (1 - m)·-1e4 added before the scale, relative-position bias after, causal Where.</summary>
    MasksAndBiases,
    /// <summary>One K/V head broadcast over the query heads by MatMul (multi-query attention).</summary>
    MultiQuery,
    /// <summary>K/V heads repeated by Reshape/Expand/Reshape (Hugging Face repeat_kv, grouped-query
    /// attention).</summary>
    GroupedQueryExpand,
}

/// <summary>Builds the style corpus: x [B, N, C] → one attention block with H heads of size D = C / H.</summary>
internal static class AttentionStyles
{
    public const int N = 6, C = 8, H = 2, D = 4;

    /// <summary>Shared weights. For the multi-query styles, K and V use the first head's columns only; the eager
    /// reference with <c>kvShared</c> repeats them over heads.</summary>
    public sealed record Weights(double[] Wq, double[] Wk, double[] Wv, double[] Bq, double[] Bk, double[] Bv)
    {
        public static Weights Random(ulong seed)
        {
            var r = new Rng(seed);
            double[] G(int n, double s) { var a = new double[n]; r.FillGaussian(a, 0, s); return a; }
            return new Weights(G(C * C, 0.6), G(C * C, 0.6), G(C * C, 0.6), G(C, 0.1), G(C, 0.1), G(C, 0.1));
        }

        /// <summary>Columns of head 0 repeated over all heads (a K/V projection shared by the query heads).</summary>
        public static double[] Shared(double[] w, int rows)
        {
            var r = new double[rows * C];
            for (int i = 0; i < rows; i++)
                for (int c = 0; c < C; c++) r[i * C + c] = w[i * C + c % D];
            return r;
        }

        public static double[] Head0(double[] w, int rows)
        {
            var r = new double[rows * D];
            for (int i = 0; i < rows; i++)
                for (int c = 0; c < D; c++) r[i * D + c] = w[i * C + c];
            return r;
        }
    }

    /// <summary>[B, N, C] → [B, heads, N, D]; optionally pre-multiplied by a scalar before the head split.</summary>
    private static string Project(OnnxGraphBuilder g, string x, string w, string b, int batch, int heads,
        double? prescale = null)
    {
        string p = g.Node("Add", [g.Node("MatMul", [x, w]), b]);
        if (prescale is { } s) p = g.Node("Mul", [p, g.Floats($"pre_{w}", [], [s])]);
        string r = g.Node("Reshape", [p, g.Ints($"shape_{w}", [4], [batch, N, heads, D])]);
        return g.Node("Transpose", [r], ("perm", new long[] { 0, 2, 1, 3 }));
    }

    /// <summary>Adds one block reading x; returns its output name.</summary>
    public static string Block(OnnxGraphBuilder g, AttentionStyle style, Weights w, string x, int batch,
        bool kvShared = false, string prefix = "", string? keySource = null, int keyTokens = N)
    {
        bool mq = style is AttentionStyle.MultiQuery or AttentionStyle.GroupedQueryExpand;
        int kvHeads = mq ? 1 : H, kvC = kvHeads * D;
        string P(string s) => prefix + s;
        g.Floats(P("Wq"), [C, C], w.Wq); g.Floats(P("bq"), [C], w.Bq);
        if (mq)
        {
            g.Floats(P("Wk"), [C, kvC], Weights.Head0(w.Wk, C)); g.Floats(P("bk"), [kvC], w.Bk[..D]);
            g.Floats(P("Wv"), [C, kvC], Weights.Head0(w.Wv, C)); g.Floats(P("bv"), [kvC], w.Bv[..D]);
        }
        else if (kvShared)
        {
            g.Floats(P("Wk"), [C, C], Weights.Shared(w.Wk, C)); g.Floats(P("bk"), [C], Weights.Shared(w.Bk, 1));
            g.Floats(P("Wv"), [C, C], Weights.Shared(w.Wv, C)); g.Floats(P("bv"), [C], Weights.Shared(w.Bv, 1));
        }
        else
        {
            g.Floats(P("Wk"), [C, C], w.Wk); g.Floats(P("bk"), [C], w.Bk);
            g.Floats(P("Wv"), [C, C], w.Wv); g.Floats(P("bv"), [C], w.Bv);
        }
        double inv = 1 / Math.Sqrt(D);
        string ks = keySource ?? x;
        string q = Project(g, x, P("Wq"), P("bq"), batch, H, style == AttentionStyle.QueryPrescaled ? inv : null);
        string k = ProjectKv(g, ks, P("Wk"), P("bk"), batch, kvHeads, keyTokens);
        string v = ProjectKv(g, ks, P("Wv"), P("bv"), batch, kvHeads, keyTokens);
        if (style == AttentionStyle.GroupedQueryExpand)
        {
            k = RepeatKv(g, k, batch, P("k"), keyTokens);
            v = RepeatKv(g, v, batch, P("v"), keyTokens);
        }
        string kt = g.Node("Transpose", [k], ("perm", new long[] { 0, 1, 3, 2 }));
        string scalar = g.Floats(P("scale"), [], [inv]);
        string a;
        switch (style)
        {
            case AttentionStyle.DivByTensor:
                a = Softmax(g, g.Node("Div", [g.Node("MatMul", [q, kt]), g.Floats(P("sqrtd"), [1], [Math.Sqrt(D)])]));
                return g.Node("MatMul", [a, v]);
            case AttentionStyle.QueryPrescaled:
                return g.Node("MatMul", [Softmax(g, g.Node("MatMul", [q, kt])), v]);
            case AttentionStyle.QuarterPowerSplit:
            {
                string dim = HeadDim(g, q, P("i3"));
                string quarter = g.Node("Sqrt", [g.Node("Div", [g.Floats(P("one"), [], [1]), g.Node("Sqrt", [dim])])]);
                string s = g.Node("MatMul", [g.Node("Mul", [q, quarter]), g.Node("Mul", [kt, quarter])]);
                return g.Node("MatMul", [Softmax(g, s), v]);
            }
            case AttentionStyle.RuntimeScale:
            {
                string dim = HeadDim(g, q, P("i3"));
                a = Softmax(g, g.Node("Div", [g.Node("MatMul", [q, kt]), g.Node("Sqrt", [dim])]));
                return g.Node("MatMul", [a, v]);
            }
            case AttentionStyle.Einsum:
                a = Softmax(g, g.Node("Mul", [g.Node("Einsum", [q, k], ("equation", "bhid,bhjd->bhij")), scalar]));
                return g.Node("Einsum", [a, v], ("equation", "bhij,bhjd->bhid"));
            case AttentionStyle.Transposed:
            {
                string qt = g.Node("Transpose", [q], ("perm", new long[] { 0, 1, 3, 2 }));
                a = g.Node("Softmax", [g.Node("Mul", [g.Node("MatMul", [k, qt]), scalar])], ("axis", -2L));
                string vt = g.Node("Transpose", [v], ("perm", new long[] { 0, 1, 3, 2 }));
                return g.Node("MatMul", [vt, a]);
            }
            case AttentionStyle.ReshapeSoftmax:
            {
                string s = g.Node("Mul", [g.Node("MatMul", [q, kt]), scalar]);
                string flat = g.Node("Reshape", [s, g.Ints(P("flat"), [2], [-1, keyTokens])]);
                string sm = g.Node("Softmax", [flat]);
                a = g.Node("Reshape", [sm, g.Ints(P("back"), [4], [batch, H, N, keyTokens])]);
                return g.Node("MatMul", [a, v]);
            }
            case AttentionStyle.MasksAndBiases:
            {
                // ext = (1 - m) * -1e4 as [B, 1, 1, N]; scores + ext, then / sqrt(D), + relative bias, causal Where
                string ext = g.Node("Sub", [g.Floats(P("one"), [], [1]), "mask"]);
                ext = g.Node("Mul", [ext, g.Floats(P("big"), [], [-1e4])]);
                ext = g.Node("Reshape", [ext, g.Ints(P("extshape"), [4], [batch, 1, 1, N])]);
                string s = g.Node("Add", [g.Node("MatMul", [q, kt]), ext]);
                s = g.Node("Div", [s, g.Floats(P("sqrtd"), [], [Math.Sqrt(D)])]);
                s = g.Node("Add", [g.Floats(P("relbias"), [1, H, N, N], RelativeBias()), s]);
                var causal = new bool[N * N];
                for (int i = 0; i < N; i++) for (int j = 0; j <= i; j++) causal[i * N + j] = true;
                s = g.Node("Where", [g.Bools(P("causal"), [N, N], causal), s, g.Floats(P("fill"), [], [-1e9])]);
                return g.Node("MatMul", [Softmax(g, s), v]);
            }
            default: // Eager, MultiQuery, GroupedQueryExpand
                a = Softmax(g, g.Node("Mul", [g.Node("MatMul", [q, kt]), scalar]));
                return g.Node("MatMul", [a, v]);
        }
    }

    private static string ProjectKv(OnnxGraphBuilder g, string x, string w, string b, int batch, int heads, int tokens)
    {
        string p = g.Node("Add", [g.Node("MatMul", [x, w]), b]);
        string r = g.Node("Reshape", [p, g.Ints($"shape_{w}", [4], [batch, tokens, heads, D])]);
        return g.Node("Transpose", [r], ("perm", new long[] { 0, 2, 1, 3 }));
    }

    private static string RepeatKv(OnnxGraphBuilder g, string t, int batch, string name, int tokens)
    {
        string u = g.Node("Reshape", [t, g.Ints($"{name}_r5", [5], [batch, 1, 1, tokens, D])]);
        string e = g.Node("Expand", [u, g.Ints($"{name}_e5", [5], [batch, 1, H, tokens, D])]);
        return g.Node("Reshape", [e, g.Ints($"{name}_r4", [4], [batch, H, tokens, D])]);
    }

    /// <summary>Cast(Shape(q)[3]) to float: the head size computed at run time.</summary>
    private static string HeadDim(OnnxGraphBuilder g, string q, string indexName) =>
        g.Node("Cast", [g.Node("Gather", [g.Node("Shape", [q]), g.Ints(indexName, [], [3])])], ("to", 1L));

    private static string Softmax(OnnxGraphBuilder g, string s) => g.Node("Softmax", [s], ("axis", -1L));

    /// <summary>The relative-position bias of <see cref="AttentionStyle.MasksAndBiases"/>: [1, H, N, N].</summary>
    public static double[] RelativeBias()
    {
        var r = new double[H * N * N];
        for (int h = 0; h < H; h++)
            for (int i = 0; i < N; i++)
                for (int j = 0; j < N; j++) r[(h * N + i) * N + j] = 0.3 * (h + 1) * Math.Exp(-Math.Abs(i - j));
        return r;
    }

    /// <summary>A whole model with one block in <paramref name="style"/>: input "x" [B, N, C] (plus "mask" [B, N]
    /// for the masked style), output "o".</summary>
    public static byte[] Model(AttentionStyle style, Weights w, int batch = 1, bool kvShared = false)
    {
        var g = new OnnxGraphBuilder();
        g.Input("x", OnnxGraphBuilder.Float, [batch, N, C]);
        if (style == AttentionStyle.MasksAndBiases) g.Input("mask", OnnxGraphBuilder.Float, [batch, N]);
        string o = Block(g, style, w, "x", batch, kvShared);
        g.Graph.Node[^1].Output[0] = "o";
        g.Output("o");
        return g.Bytes(style == AttentionStyle.ReshapeSoftmax ? 12 : 17);
    }
}
