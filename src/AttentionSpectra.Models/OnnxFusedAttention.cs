using AttentionSpectra.Models.Onnx;
using Google.Protobuf;

namespace AttentionSpectra.Models;

/// <summary>Expands ONNX Runtime's fused attention ops (com.microsoft <c>Attention</c>, <c>MultiHeadAttention</c>,
/// <c>GroupQueryAttention</c>) into plain ONNX ops with the same result (projections → per-head Q, K^T, V → scaled
/// scores [+ bias, causal mask] → Softmax → MatMul), so that their queries, keys and logits can be captured like
/// any other attention block. Configurations whose semantics the expansion does not reproduce (past key/value
/// caches, rotary embeddings inside the op, padding masks given as lengths, soft-capping, local windows) are left
/// fused and reported as not auditable.</summary>
internal static class OnnxFusedAttention
{
    private const float DefaultMaskFilter = -10000f;

    /// <summary>Rewrite the supported fused nodes of <paramref name="m"/> in place; returns one note per expanded
    /// node.</summary>
    public static List<string> Expand(OnnxModel m)
    {
        var notes = new List<string>();
        var nodes = m.Graph.Node;
        for (int i = 0; i < nodes.Count; i++)
        {
            var n = nodes[i];
            if (n.Domain != "com.microsoft") continue;
            var w = new Writer(m, n);
            bool ok = n.OpType switch
            {
                "MultiHeadAttention" => w.MultiHead(),
                "Attention" => w.PackedAttention(),
                "GroupQueryAttention" => w.GroupQuery(),
                _ => false,
            };
            if (!ok) continue;
            nodes.RemoveAt(i);
            for (int k = 0; k < w.Nodes.Count; k++) nodes.Insert(i + k, w.Nodes[k]);
            i += w.Nodes.Count - 1;
            notes.Add($"fused com.microsoft.{n.OpType} node '{(n.Name.Length > 0 ? n.Name : n.Output[0])}' was " +
                      "expanded into plain ops to read its queries and keys");
        }
        return notes;
    }

    /// <summary>Builds the replacement nodes of one fused node.</summary>
    private sealed class Writer(OnnxModel m, NodeProto fused)
    {
        public List<NodeProto> Nodes { get; } = [];
        private int _k;
        private readonly string _p = (fused.Name.Length > 0 ? fused.Name : fused.Output[0]) + "__attnspec_";

        private string In(int i) => i < fused.Input.Count ? fused.Input[i] : "";
        private bool Has(int i) => In(i).Length > 0;
        private bool OutputUsed(int i) => i < fused.Output.Count && fused.Output[i].Length > 0;
        private long Int(string name, long dflt) => fused.Attribute.FirstOrDefault(a => a.Name == name)?.I ?? dflt;
        private float Float(string name, float dflt) => fused.Attribute.FirstOrDefault(a => a.Name == name)?.F ?? dflt;

        private string Op(string op, string[] inputs, string? output = null, params (string Name, object Value)[] attrs)
        {
            var n = new NodeProto { OpType = op, Name = _p + _k, Domain = "" };
            n.Input.AddRange(inputs);
            n.Output.Add(output ?? _p + "t" + _k);
            _k++;
            foreach (var (name, v) in attrs)
            {
                var a = new AttributeProto { Name = name };
                if (v is long l) { a.I = l; a.Type = AttributeProto.Types.AttributeType.Int; }
                else { a.Ints.AddRange((long[])v); a.Type = AttributeProto.Types.AttributeType.Ints; }
                n.Attribute.Add(a);
            }
            Nodes.Add(n);
            return n.Output[0];
        }

        private string Const(long[] values, long[] dims)
        {
            var t = new TensorProto { Name = _p + "c" + _k++, DataType = (int)OnnxElemType.Int64 };
            t.Dims.AddRange(dims);
            t.Int64Data.AddRange(values);
            m.AddInitializer(t);
            return t.Name;
        }

        private string ConstFloat(float v, int elemType)
        {
            bool half = elemType == (int)OnnxElemType.Float16;
            var t = new TensorProto
            {
                Name = _p + "c" + _k++, DataType = half ? elemType : (int)OnnxElemType.Float,
                RawData = ByteString.CopyFrom(half ? BitConverter.GetBytes((Half)v) : BitConverter.GetBytes(v)),
            };
            m.AddInitializer(t);
            return t.Name;
        }

        /// <summary>Element type of the query data when declared (float unless the bias/weights say float16).</summary>
        private int ElemType()
        {
            foreach (var name in fused.Input)
                if (m.Initializers.TryGetValue(name, out var t) &&
                    t.DataType is (int)OnnxElemType.Float or (int)OnnxElemType.Float16)
                    return t.DataType;
            return (int)OnnxElemType.Float;
        }

        /// <summary>Split a constant [rows, sum(widths)] (or 1-D [sum(widths)]) into column blocks.</summary>
        private string[]? SplitColumns(string name, long[] widths)
        {
            if (!m.Initializers.TryGetValue(name, out var t) || !t.HasRawData) return null;
            int es = OnnxModel.ElemSize((OnnxElemType)t.DataType);
            long cols = t.Dims[^1], rows = t.Dims.Count == 2 ? t.Dims[0] : 1;
            if (es == 0 || t.Dims.Count > 2 || widths.Sum() != cols || t.RawData.Length != rows * cols * es)
                return null;
            var raw = t.RawData.Span;
            var names = new string[widths.Length];
            long start = 0;
            for (int b = 0; b < widths.Length; b++)
            {
                var buf = new byte[rows * widths[b] * es];
                for (long r = 0; r < rows; r++)
                    raw.Slice((int)((r * cols + start) * es), (int)(widths[b] * es))
                        .CopyTo(buf.AsSpan((int)(r * widths[b] * es)));
                var part = new TensorProto
                {
                    Name = _p + "w" + _k++, DataType = t.DataType, RawData = ByteString.CopyFrom(buf),
                };
                if (t.Dims.Count == 2) part.Dims.Add(rows);
                part.Dims.Add(widths[b]);
                m.AddInitializer(part);
                names[b] = part.Name;
                start += widths[b];
            }
            return names;
        }

        /// <summary>[B, S, heads*D] → [B, heads, S, D] (or [B, heads, D, S] for keys).</summary>
        private string Heads(string x, long heads, bool transposeForKeys) =>
            Op("Transpose", [Op("Reshape", [x, Const([0, 0, heads, -1], [4])])], null,
                ("perm", transposeForKeys ? new long[] { 0, 2, 3, 1 } : new long[] { 0, 2, 1, 3 }));

        /// <summary>Scores → scale → [+bias] → [causal] → softmax → ·V → [B, S, heads*D] into the fused
        /// output.</summary>
        private void Core(string q, string kt, string v, long heads, float scale, string? bias, bool causal, int et)
        {
            string s = Op("MatMul", [q, kt]);
            if (scale != 0) s = Op("Mul", [s, ConstFloat(scale, et)]);
            else
            {
                string d = Op("Cast", [Op("Gather", [Op("Shape", [q]), Const([3], [])])], null, ("to", (long)et));
                s = Op("Div", [s, Op("Sqrt", [d])]);
            }
            if (bias != null) s = Op("Add", [s, bias]);
            if (causal)
            {
                // keep j <= i (queries and keys of one sequence): Trilu of a ones [S, S] matrix
                string len = Op("Gather", [Op("Shape", [q]), Const([2], [1])]);
                string zeros = Op("ConstantOfShape", [Op("Concat", [len, len], null, ("axis", 0L))]);
                string ones = Op("Add", [zeros, ConstFloat(1, (int)OnnxElemType.Float)]);
                string keep = Op("Cast", [Op("Trilu", [ones], null, ("upper", 0L))], null,
                    ("to", (long)OnnxElemType.Bool));
                float fill = et == (int)OnnxElemType.Float16 ? -65504f : -1e9f;
                s = Op("Where", [keep, s, ConstFloat(fill, et)]);
            }
            string a = Op("Softmax", [s], null, ("axis", -1L));
            string o = Op("Transpose", [Op("MatMul", [a, v])], null, ("perm", new long[] { 0, 2, 1, 3 }));
            Op("Reshape", [o, Const([0, 0, -1], [3])], fused.Output[0]);
        }

        private bool Plain(params int[] allowed)
        {
            for (int i = 0; i < fused.Input.Count; i++)
                if (Has(i) && !allowed.Contains(i)) return false;
            for (int i = 1; i < fused.Output.Count; i++)
                if (OutputUsed(i)) return false;
            return true;
        }

        /// <summary>MultiHeadAttention(query, key, value, [bias], -, [attention_bias]) with 3-D inputs.</summary>
        public bool MultiHead()
        {
            if (!Plain(0, 1, 2, 3, 5) || !Has(1) || !Has(2) || Int("unidirectional", 0) != 0) return false;
            long h = Int("num_heads", 0);
            if (h <= 0) return false;
            string q = In(0), k = In(1), v = In(2);
            if (Has(3))
            {
                if (!m.Initializers.TryGetValue(In(3), out var bt) || bt.Dims.Count != 1 || bt.Dims[0] % 3 != 0)
                    return false;
                long w = bt.Dims[0] / 3;
                var parts = SplitColumns(In(3), [w, w, w]);
                if (parts == null) return false;
                (q, k, v) = (Op("Add", [q, parts[0]]), Op("Add", [k, parts[1]]), Op("Add", [v, parts[2]]));
            }
            Core(Heads(q, h, false), Heads(k, h, true), Heads(v, h, false), h, Float("scale", 0),
                Has(5) ? In(5) : null, false, ElemType());
            return true;
        }

        /// <summary>Attention(input, weights, bias, [mask_index 2-D 0/1], -, [attention_bias]).</summary>
        public bool PackedAttention()
        {
            if (!Plain(0, 1, 2, 3, 5) || !Has(1) || !Has(2) || Int("unidirectional", 0) != 0 ||
                Int("do_rotary", 0) != 0) return false;
            long h = Int("num_heads", 0);
            if (h <= 0 || !m.Initializers.TryGetValue(In(1), out var wt) || wt.Dims.Count != 2) return false;
            var sizes = fused.Attribute.FirstOrDefault(a => a.Name == "qkv_hidden_sizes")?.Ints.ToArray();
            long third = wt.Dims[1] / 3;
            long[] widths = sizes is { Length: 3 } ? sizes : [third, third, third];
            var ws = SplitColumns(In(1), widths);
            var bs = SplitColumns(In(2), widths);
            if (ws == null || bs == null) return false;
            string Proj(int i) => Op("Add", [Op("MatMul", [In(0), ws[i]]), bs[i]]);
            string? bias = Has(5) ? In(5) : null;
            int et = ElemType();
            if (Has(3))
            {
                // raw 0/1 mask [B, L] → (1 - m) * mask_filter_value as [B, 1, 1, L]; other mask forms stay fused
                if (m.Inputs.FirstOrDefault(i => i.Name == In(3)) is not { Shape.Length: 2 }) return false;
                string mf = Op("Cast", [In(3)], null, ("to", (long)et));
                string fill = ConstFloat(Float("mask_filter_value", DefaultMaskFilter), et);
                string add = Op("Mul", [Op("Sub", [ConstFloat(1, et), mf]), fill]);
                add = Op("Reshape", [add, Const([0, 1, 1, -1], [4])]);
                bias = bias == null ? add : Op("Add", [bias, add]);
            }
            Core(Heads(Proj(0), h, false), Heads(Proj(1), h, true), Heads(Proj(2), h, false), h, Float("scale", 0),
                bias, false, et);
            return true;
        }

        /// <summary>GroupQueryAttention(query, key, value, -, -, seqlens_k, total_sequence_length) without a cache,
        /// rotary embedding, soft-capping or local window: causal attention with K/V heads shared by groups.</summary>
        public bool GroupQuery()
        {
            if (!Plain(0, 1, 2, 5, 6) || !Has(1) || !Has(2)) return false;
            if (Int("do_rotary", 0) != 0 || Float("softcap", 0) != 0 || Int("local_window_size", -1) != -1 ||
                Int("smooth_softmax", 0) != 0) return false;
            long h = Int("num_heads", 0), hkv = Int("kv_num_heads", 0);
            if (h <= 0 || hkv <= 0 || h % hkv != 0) return false;
            string Repeat(string x)
            {
                // [B, S, hkv*D] → [B, S, hkv, 1, D] → expand the groups → [B, S, h*D]
                // (query head i uses K/V head i / G)
                string t = Op("Reshape", [x, Const([0, 0, hkv, 1, -1], [5])]);
                t = Op("Expand", [t, Const([1, 1, 1, h / hkv, 1], [5])]);
                return Op("Reshape", [t, Const([0, 0, -1], [3])]);
            }
            Core(Heads(In(0), h, false), Heads(Repeat(In(1)), h, true), Heads(Repeat(In(2)), h, false), h,
                Float("scale", 0), null, true, ElemType());
            return true;
        }
    }
}
