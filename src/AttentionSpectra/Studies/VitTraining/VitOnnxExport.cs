using System.Text;

namespace AttentionSpectra.Studies.VitTraining;

/// <summary>Writes a trained <see cref="VitModel"/> as an ONNX model (opset 17, float32 weights, batch 1): input
/// <c>pixel_values</c> [1, C, S, S], output <c>logits</c> [1, classes]. Attention is written in the eager style
/// (MatMul(Q, Kᵀ) → Mul(scale) → Softmax → MatMul(·, V)) that the audit's ONNX extractor recognises. The protobuf is
/// encoded directly (field numbers of onnx.proto); no ONNX library is needed.</summary>
public static class VitOnnxExport
{
    private const int FloatType = 1, Int64Type = 7;

    /// <summary>The ONNX bytes of <paramref name="model"/>.</summary>
    public static byte[] Write(VitModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var cfg = model.Config;
        if (cfg.StandardizeQk)
            throw new NotSupportedException("ONNX export of the standardised-Q/K variant is not implemented.");
        var g = new GraphBuilder();
        var prm = model.Parameters.ToDictionary(p => p.Name, p => p.Value);
        int c = cfg.Dim, n = cfg.Tokens, p = cfg.PatchSize, s = cfg.ImageSide, gs = s / p, hh = cfg.Heads,
            dh = cfg.HeadDim;
        string W(string name) => g.Float(name + ".T", Transpose(prm[name].Data, prm[name].Rows, prm[name].Cols),
            [prm[name].Cols, prm[name].Rows]);
        string V(string name) => g.Float(name, prm[name].Data, [prm[name].Data.Length]);
        string Linear(string x, string name) => g.Node("Add", [g.Node("MatMul", [x, W(name + ".weight")]),
            V(name + ".bias")]);
        string Ln(string x, string name) => g.Node("LayerNormalization", [x, V(name + ".weight"), V(name + ".bias")],
            ("axis", -1L), ("epsilon", (float)VitConfig.LayerNormEps));

        // patches: [1, C, S, S] -> [C, g, p, g, p] -> [g, g, C, p, p] -> [g², C p p]
        var x5 = g.Node("Reshape", ["pixel_values", g.Ints("shape5", [cfg.Channels, gs, p, gs, p])]);
        var xt = g.Node("Transpose", [x5], ("perm", new long[] { 1, 3, 0, 2, 4 }));
        var patches = g.Node("Reshape", [xt, g.Ints("shapeP", [gs * gs, cfg.PatchDim])]);
        var emb = g.Node("Add", [g.Node("MatMul", [patches, g.Float("patch_embed.proj.weight.T",
            Transpose(prm["patch_embed.proj.weight"].Data, c, cfg.PatchDim), [cfg.PatchDim, c])]),
                V("patch_embed.proj.bias")]);
        var cls = g.Float("cls_token", prm["cls_token"].Data, [1, c]);
        var x = g.Node("Add", [g.Node("Concat", [cls, emb], ("axis", 0L)), g.Float("pos_embed", prm["pos_embed"].Data,
            [n, c])]);
        var scale = g.Float("scale", [1 / Math.Sqrt(dh)], []);
        var headShape = g.Ints("shapeH", [1, n, hh, dh]);
        var tokenShape = g.Ints("shapeN", [n, c]);
        var sqrt2 = g.Float("sqrt2", [Math.Sqrt(2)], []);
        var one = g.Float("one", [1], []);
        var half = g.Float("half", [0.5], []);
        for (int l = 0; l < cfg.Layers; l++)
        {
            string b = $"blocks.{l}.";
            var qkv = Linear(Ln(x, b + "norm1"), b + "attn.qkv");
            var parts = g.NodeMulti("Split", [qkv, g.Ints($"split{l}", [c, c, c])], 3, ("axis", 1L));
            var q = g.Node("Transpose", [g.Node("Reshape", [parts[0], headShape])], ("perm", new long[] { 0, 2, 1,
                3 }));
            var kt = g.Node("Transpose", [g.Node("Reshape", [parts[1], headShape])], ("perm", new long[] { 0, 2, 3,
                1 }));
            var v = g.Node("Transpose", [g.Node("Reshape", [parts[2], headShape])], ("perm", new long[] { 0, 2, 1,
                3 }));
            var attn = g.Node("Softmax", [g.Node("Mul", [g.Node("MatMul", [q, kt]), scale])], ("axis", -1L));
            var ctx = g.Node("Reshape", [g.Node("Transpose", [g.Node("MatMul", [attn, v])], ("perm", new long[] { 0, 2,
                1, 3 })), tokenShape]);
            x = g.Node("Add", [x, Linear(ctx, b + "attn.proj")]);
            var hpre = Linear(Ln(x, b + "norm2"), b + "mlp.fc1");
            var erf = g.Node("Erf", [g.Node("Div", [hpre, sqrt2])]);
            var gelu = g.Node("Mul", [g.Node("Mul", [hpre, g.Node("Add", [erf, one])]), half]);
            x = g.Node("Add", [x, Linear(gelu, b + "mlp.fc2")]);
        }
        var clsRow = g.Node("Slice", [x, g.Ints("s0", [0]), g.Ints("s1", [1]), g.Ints("sax", [0])]);
        var logits = Linear(Ln(clsRow, "norm"), "head");
        g.Node("Identity", [logits], "logits");
        return g.Model(cfg, [1, cfg.Channels, s, s], [1, cfg.Classes]);
    }

    private static double[] Transpose(double[] a, int rows, int cols)
    {
        var t = new double[a.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
        return t;
    }

    /// <summary>Collects nodes and initialisers and encodes the ModelProto.</summary>
    private sealed class GraphBuilder
    {
        private readonly List<byte[]> _nodes = [], _inits = [];
        private int _next;

        public string Float(string name, double[] data, long[] dims)
        {
            var raw = new byte[data.Length * 4];
            for (int i = 0; i < data.Length; i++) BitConverter.TryWriteBytes(raw.AsSpan(i * 4), (float)data[i]);
            _inits.Add(Tensor(name, dims, FloatType, raw));
            return name;
        }

        public string Ints(string name, long[] values)
        {
            var raw = new byte[values.Length * 8];
            for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(raw.AsSpan(i * 8), values[i]);
            _inits.Add(Tensor(name, [values.Length], Int64Type, raw));
            return name;
        }

        public string Node(string op, string[] inputs, params (string Name, object Value)[] attrs) =>
            NodeMulti(op, inputs, 1, attrs)[0];

        public string Node(string op, string[] inputs, string output)
        {
            _nodes.Add(EncodeNode(op, inputs, [output], []));
            return output;
        }

        public string[] NodeMulti(string op, string[] inputs, int outputs, params (string Name, object Value)[] attrs)
        {
            var outs = Enumerable.Range(0, outputs).Select(k => $"{op.ToLowerInvariant()}_{_next}_{k}").ToArray();
            _next++;
            _nodes.Add(EncodeNode(op, inputs, outs, attrs));
            return outs;
        }

        private byte[] EncodeNode(string op, string[] inputs, string[] outputs, (string Name, object Value)[] attrs)
        {
            var w = new ProtoWriter();
            foreach (var i in inputs) w.String(1, i);
            foreach (var o in outputs) w.String(2, o);
            w.String(3, $"{op}_{_nodes.Count}");
            w.String(4, op);
            foreach (var (name, value) in attrs)
            {
                var a = new ProtoWriter();
                a.String(1, name);
                switch (value)
                {
                    case float f: a.Fixed32(2, f); a.Varint(20, 1); break;
                    case long i: a.Varint(3, (ulong)i); a.Varint(20, 2); break;
                    case long[] ints: foreach (var v in ints) a.Varint(8, (ulong)v); a.Varint(20, 7); break;
                    default: throw new ArgumentException($"attribute type {value.GetType()}");
                }
                w.Message(5, a);
            }
            return w.ToArray();
        }

        private static byte[] Tensor(string name, long[] dims, int type, byte[] raw)
        {
            var t = new ProtoWriter();
            foreach (var d in dims) t.Varint(1, (ulong)d);
            t.Varint(2, (ulong)type);
            t.String(8, name);
            t.Bytes(9, raw);
            return t.ToArray();
        }

        private static ProtoWriter ValueInfo(string name, long[] shape)
        {
            var sh = new ProtoWriter();
            foreach (var d in shape) { var dim = new ProtoWriter(); dim.Varint(1, (ulong)d); sh.Message(1, dim); }
            var tt = new ProtoWriter();
            tt.Varint(1, FloatType);
            tt.Message(2, sh);
            var tp = new ProtoWriter();
            tp.Message(1, tt);
            var vi = new ProtoWriter();
            vi.String(1, name);
            vi.Message(2, tp);
            return vi;
        }

        public byte[] Model(VitConfig cfg, long[] inputShape, long[] outputShape)
        {
            var graph = new ProtoWriter();
            foreach (var nd in _nodes) graph.Bytes(1, nd);
            graph.String(2, $"vit_{cfg.Layers}x{cfg.Heads}_d{cfg.Dim}");
            foreach (var t in _inits) graph.Bytes(5, t);
            graph.Message(11, ValueInfo("pixel_values", inputShape));
            graph.Message(12, ValueInfo("logits", outputShape));
            var opset = new ProtoWriter();
            opset.String(1, "");
            opset.Varint(2, 17);
            var m = new ProtoWriter();
            m.Varint(1, 8);
            m.String(2, "attnspec");
            m.Message(7, graph);
            m.Message(8, opset);
            return m.ToArray();
        }
    }

    /// <summary>Minimal protobuf wire-format encoder.</summary>
    private sealed class ProtoWriter
    {
        private readonly MemoryStream _s = new();

        public byte[] ToArray() => _s.ToArray();

        private void Raw(ulong v)
        {
            for (; v >= 0x80; v >>= 7) _s.WriteByte((byte)(v | 0x80));
            _s.WriteByte((byte)v);
        }

        private void Tag(int field, int wire) => Raw((ulong)((field << 3) | wire));

        public void Varint(int field, ulong v) { Tag(field, 0); Raw(v); }

        public void Fixed32(int field, float f) { Tag(field, 5); _s.Write(BitConverter.GetBytes(f)); }

        public void Bytes(int field, byte[] b) { Tag(field, 2); Raw((ulong)b.Length); _s.Write(b); }

        public void String(int field, string s) => Bytes(field, Encoding.UTF8.GetBytes(s));

        public void Message(int field, ProtoWriter m) => Bytes(field, m.ToArray());
    }
}
